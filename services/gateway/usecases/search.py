"""The global search: each service's own search asked at once, the hits merged by score.

A service that does not answer within the time given is left out and named, so the answer is
partial rather than late or missing.
"""

import asyncio
from dataclasses import dataclass, field
from typing import Any

from services.gateway.backends import Backends, ServiceUnavailable
from services.gateway.domain.routing import may_use

# A search that waits longer than this for a service answers without it.
SEARCH_TIMEOUT = 3.0
# Each service's search endpoints; more join as their search arrives.
SEARCHES: tuple[tuple[str, str], ...] = (
    ("deals", "/api/deals/search"),  # companies, contacts, deals
    ("calendar", "/api/activities/search"),
    ("knowledge", "/api/documents/search"),
    ("knowledge", "/api/requests/search"),
    ("knowledge", "/api/feed/search"),  # posts of the feed
)


# The order of the groups a search answer shows; a kind not named here comes last.
KINDS = ("company", "contact", "deal", "activity", "document", "post", "request")


@dataclass(frozen=True)
class Results:
    items: list[dict[str, Any]]
    unavailable: list[str] = field(default_factory=list)
    groups: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)


def grouped(hits: list[dict[str, Any]], each: int) -> list[tuple[str, list[dict[str, Any]]]]:
    """Hits by kind in the order of `KINDS`, each kind's best `each` in its service's order."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for hit in hits:
        by_kind.setdefault(str(hit.get("kind", "")), []).append(hit)
    order = sorted(by_kind, key=lambda kind: KINDS.index(kind) if kind in KINDS else len(KINDS))
    return [(kind, by_kind[kind][:each]) for kind in order]


async def search_everywhere(
    backends: Backends,
    *,
    identity: str,
    role: str,
    text: str,
    limit: int,
    timeout: float,
) -> Results:
    """Every service's best hits for `text`, merged best first; who did not answer is named."""
    asked = [(name, path) for name, path in SEARCHES if may_use(role, path.removeprefix("/api/"))]
    answers = await asyncio.gather(
        *(_ask(backends, name, path, identity, text, limit, timeout) for name, path in asked)
    )
    items: list[dict[str, Any]] = []
    unavailable: list[str] = []
    for (name, _), hits in zip(asked, answers, strict=True):
        if hits is None:
            if name not in unavailable:
                unavailable.append(name)
        else:
            items += [{**hit, "service": name} for hit in hits]
    groups = grouped(items, limit)
    items.sort(key=lambda hit: float(hit.get("score", 0)), reverse=True)
    return Results(items[:limit], unavailable, groups)


async def _ask(
    backends: Backends,
    service: str,
    path: str,
    identity: str,
    text: str,
    limit: int,
    timeout: float,
) -> list[dict[str, Any]] | None:
    try:
        answer = await asyncio.wait_for(
            backends.request(
                service, "GET", path, identity=identity, params={"q": text, "limit": limit}
            ),
            timeout,
        )
    except (ServiceUnavailable, TimeoutError):
        return None
    if not answer.is_success:
        return None
    items: list[dict[str, Any]] = answer.json().get("items", [])
    return items
