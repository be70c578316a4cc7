"""The global search: each service's own search asked at once, the hits merged by score.

A service that does not answer within the time given is left out and named, so the answer is
partial rather than late or missing.
"""

import asyncio
from dataclasses import dataclass, field
from typing import Any

from services.gateway.backends import Backends, ServiceUnavailable
from services.gateway.domain.routing import may_use

# Each service's search endpoints (knowledge: documents, and posts of the feed); more services
# join as their search arrives.
SEARCHES: dict[str, tuple[str, ...]] = {"knowledge": ("/api/documents/search", "/api/feed/search")}


@dataclass(frozen=True)
class Results:
    items: list[dict[str, Any]]
    unavailable: list[str] = field(default_factory=list)


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
    asked = [
        (name, path)
        for name, paths in SEARCHES.items()
        for path in paths
        if may_use(role, path.removeprefix("/api/"))
    ]
    answers = await asyncio.gather(
        *(_ask(backends, name, path, identity, text, limit, timeout) for name, path in asked)
    )
    items: list[dict[str, Any]] = []
    unavailable: list[str] = []
    for (name, _path), hits in zip(asked, answers, strict=True):
        if hits is None:
            if name not in unavailable:
                unavailable.append(name)
        else:
            items += [{**hit, "service": name} for hit in hits]
    items.sort(key=lambda hit: float(hit.get("score", 0)), reverse=True)
    return Results(items[:limit], unavailable)


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
