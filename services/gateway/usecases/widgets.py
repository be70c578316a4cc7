"""The desk's widgets: each one's data read from the services as the user, all at once.

Every widget has its own time limit: a widget whose service is down, refuses or is slow is
answered as unavailable (naming the service) when its time is up, and the others are not held.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pydantic_core
from sqlalchemy import func, select

from services.gateway.backends import Backends, ServiceUnavailable
from services.gateway.domain.desk import CATALOGUE
from services.gateway.tables import Notification
from shared.db import SessionFactory

log = logging.getLogger(__name__)
LISTED = 8  # items a list widget shows; the rest are counted


class Failed(Exception):
    """A service refused a widget's read (its status) or did not answer."""

    def __init__(self, service: str, status_code: int | None = None) -> None:
        super().__init__(f"{service}: {status_code or 'unavailable'}")
        self.service = service
        self.status_code = status_code


@dataclass(frozen=True)
class Viewer:
    """Who the desk is for, and how to ask the services as them."""

    backends: Backends
    identity: str
    user_id: UUID
    role: str
    team_id: UUID | None
    time_zone: str
    department_id: UUID | None = None
    sessions: SessionFactory | None = None  # the gateway's own database (mentions)
    # Reads already asked for by another widget of the same desk, shared rather than repeated.
    asked: dict[tuple[str, str, str], "asyncio.Future[Any]"] = field(
        default_factory=dict, compare=False, repr=False
    )

    async def get(self, service: str, path: str, **params: Any) -> Any:
        """The JSON of a successful GET; `Failed` otherwise. Widgets of one desk asking the
        same share one call (shielded: one widget's time running out cancels no other's)."""
        key = (service, path, repr(sorted(params.items())))
        if key not in self.asked:
            asking = asyncio.ensure_future(self._get(service, path, params))
            # A read whose widgets all ran out of time still ends; its failure is not news.
            asking.add_done_callback(lambda done: done.cancelled() or done.exception())
            self.asked[key] = asking
        return await asyncio.shield(self.asked[key])

    async def _get(self, service: str, path: str, params: dict[str, Any]) -> Any:
        try:
            answer = await self.backends.request(
                service, "GET", path, identity=self.identity, params=params
            )
        except ServiceUnavailable:
            raise Failed(service) from None
        if not answer.is_success:
            raise Failed(service, answer.status_code)
        return pydantic_core.from_json(answer.content)

    def today(self, now: datetime) -> tuple[datetime, datetime]:
        """Today's start and the next day's, on the user's own clock."""
        zone = ZoneInfo(self.time_zone)
        day = now.astimezone(zone).date()
        start = datetime.combine(day, time(), zone)
        return start, datetime.combine(day + timedelta(days=1), time(), zone)


@dataclass(frozen=True)
class Filled:
    """A widget's answer: its data, or why it has none (`unavailable`: the services named)."""

    name: str
    status: str  # "ok" | "unavailable"
    data: dict[str, Any] = field(default_factory=dict)
    unavailable: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "data": self.data,
            "unavailable": self.unavailable,
        }


def _listed(items: list[Any]) -> dict[str, Any]:
    return {"count": len(items), "items": items[:LISTED]}


async def agenda(viewer: Viewer, now: datetime) -> dict[str, Any]:
    """Today's occurrences of the user's activities, and what ended before today unreported."""
    start, end = viewer.today(now)
    today, waiting = await asyncio.gather(
        viewer.get(
            "calendar",
            "/api/calendar/occurrences",
            start=start.isoformat(),
            end=end.isoformat(),
            owner_id=str(viewer.user_id),
        ),
        viewer.get("calendar", "/api/calendar/awaiting", owner_id=str(viewer.user_id)),
    )
    overdue = [item for item in waiting if datetime.fromisoformat(item["end"]) < start]
    return {"today": today, "overdue": _listed(overdue)}


async def awaiting(viewer: Viewer, now: datetime) -> dict[str, Any]:
    """What ended and awaits an outcome report, oldest first."""
    waiting = await viewer.get("calendar", "/api/calendar/awaiting", owner_id=str(viewer.user_id))
    return _listed(waiting)


def scope_of(viewer: Viewer) -> str:
    """Whose figures a desk shows: a manager their own, a head the group's, the administrator
    the company's."""
    if viewer.role == "head" and viewer.team_id is not None:
        return "group"
    return "all" if viewer.role == "admin" else "own"


# The pipelines change seldom and are the same for every seller: remembered for a minute per
# gateway process, so the pipeline widget makes one call (the board), not two in a row.
PIPELINES_KEPT = timedelta(minutes=1)
_pipelines: dict[int, tuple[datetime, list[dict[str, Any]]]] = {}


async def _pipelines_of(viewer: Viewer, now: datetime) -> list[dict[str, Any]]:
    kept = _pipelines.get(id(viewer.backends))
    if kept is not None and kept[0] > now:
        return kept[1]
    pipelines: list[dict[str, Any]] = await viewer.get("deals", "/api/pipelines")
    _pipelines[id(viewer.backends)] = (now + PIPELINES_KEPT, pipelines)
    return pipelines


async def pipeline(viewer: Viewer, now: datetime) -> dict[str, Any]:
    """The first pipeline's open stages with the count and amounts of the deals in each."""
    pipelines = await _pipelines_of(viewer, now)
    if not pipelines:
        return {"pipeline": None, "stages": [], "scope": scope_of(viewer)}
    first = pipelines[0]
    params: dict[str, Any] = {"limit": 1, "brief": "true"}
    if scope_of(viewer) == "own":
        params["owner_id"] = str(viewer.user_id)
    board = await viewer.get("deals", f"/api/pipelines/{first['id']}/board", **params)
    stages = [
        {
            "id": column["stage"]["id"],
            "name": column["stage"]["name"],
            "kind": column["stage"]["kind"],
            "count": column["count"],
            "totals": column["totals"],
        }
        for column in board["columns"]
    ]
    return {
        "pipeline": {"id": first["id"], "name": first["name"]},
        "stages": stages,
        "scope": scope_of(viewer),
    }


def _figures(node: dict[str, Any]) -> dict[str, Any]:
    keys = ("scope", "id", "name", "submitted", "final", "actual", "forecast")
    return {key: node[key] for key in keys}


async def plan(viewer: Viewer, now: datetime) -> dict[str, Any]:
    """This month's plan, actual and forecast: a manager's own, a head's group with a line
    per manager and subgroup, the company's for the administrator."""
    first = now.astimezone(ZoneInfo(viewer.time_zone)).date().replace(day=1)
    params: dict[str, Any] = {"period": "month", "start_date": first.isoformat()}
    scope = scope_of(viewer)
    if scope == "own":
        params["scope"] = "manager"
    elif scope == "group":
        params.update(scope="team", id=str(viewer.team_id))
    summary = await viewer.get("planning", "/api/plans/summary", **params)
    children = summary["children"] if scope != "own" else []
    return {
        "start_date": first.isoformat(),
        "end_date": _month_end(first).isoformat(),
        "scope": scope,
        "total": _figures(summary),
        "children": [_figures(child) for child in children],
    }


def _month_end(first: date) -> date:
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


async def idle_deals(viewer: Viewer, now: datetime) -> dict[str, Any]:
    """Open deals with no activity planned, the longest untouched first."""
    page = await viewer.get(
        "deals", "/api/deals", no_next_activity="true", sort="updated_at", limit=LISTED
    )
    keys = ("id", "title", "amount", "currency", "owner_id", "updated_at")
    items = [{key: deal[key] for key in keys} for deal in page["items"]]
    return {"items": items, "more": page.get("next_cursor") is not None}


async def must_read(viewer: Viewer, now: datetime) -> dict[str, Any]:
    """Documents waiting for the user's confirmation that they read them."""
    waiting = await viewer.get("knowledge", "/api/documents/must-read", pending="true")
    return _listed(waiting)


OPEN_REQUESTS = ["submitted", "accepted", "returned"]


def _requests(page: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "service_name", "department_name", "status", "due_at", "sla")
    items = [{key: found.get(key) for key in keys} for found in page["items"]]
    return {"items": items, "more": page.get("next_cursor") is not None}


async def my_requests(viewer: Viewer, now: datetime) -> dict[str, Any]:
    """The user's own requests to departments that are not closed, the newest first."""
    page = await viewer.get(
        "knowledge", "/api/requests", mine="true", status=OPEN_REQUESTS, limit=LISTED
    )
    return _requests(page)


async def department_queue(viewer: Viewer, now: datetime) -> dict[str, Any]:
    """Open requests to the user's department, the nearest deadline first."""
    if viewer.department_id is None:
        return {"items": [], "more": False}
    page = await viewer.get(
        "knowledge",
        "/api/requests",
        department=str(viewer.department_id),
        status=OPEN_REQUESTS,
        sort="due_at",
        limit=LISTED,
    )
    return _requests(page)


async def latest_posts(viewer: Viewer, now: datetime) -> dict[str, Any]:
    """The newest posts of the feed the user may read."""
    page = await viewer.get("knowledge", "/api/feed", limit=5)
    keys = ("id", "author_name", "text", "record_name", "comment_count", "created_at", "important")
    return {"items": [{key: post.get(key) for key in keys} for post in page["items"]]}


async def mentions(viewer: Viewer, now: datetime) -> dict[str, Any]:
    """Mentions of the user in posts and comments not opened yet: their notifications, kept by
    the gateway itself."""
    assert viewer.sessions is not None
    unread = (
        Notification.user_id == viewer.user_id,
        Notification.kind == "mention",
        Notification.read_at.is_(None),
    )
    async with viewer.sessions() as session:
        count = await session.scalar(select(func.count()).where(*unread))
        rows = await session.scalars(
            select(Notification)
            .where(*unread)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(LISTED)
        )
        items = [
            {"id": str(row.id), "title": row.title, "body": row.body, "created_at": row.created_at}
            for row in rows
        ]
    return {"count": int(count or 0), "items": items}


async def nothing(viewer: Viewer, now: datetime) -> dict[str, Any]:
    """Widgets made by the gateway alone (quick actions, shortcuts) read no service."""
    return {}


READERS: dict[str, Callable[[Viewer, datetime], Awaitable[dict[str, Any]]]] = {
    "agenda": agenda,
    "awaiting": awaiting,
    "pipeline": pipeline,
    "plan": plan,
    "idle_deals": idle_deals,
    "must_read": must_read,
    "my_requests": my_requests,
    "department_queue": department_queue,
    "latest_posts": latest_posts,
    "mentions": mentions,
    "quick_actions": nothing,
    "shortcuts": nothing,
}


async def fill(viewer: Viewer, name: str, *, now: datetime, timeout: float) -> Filled:
    """One widget's data, or `unavailable` naming its services once `timeout` has passed or a
    service failed."""
    try:
        data = await asyncio.wait_for(READERS[name](viewer, now), timeout)
    except Failed as failure:
        if failure.status_code is not None:
            log.warning("desk widget %s: %s", name, failure)
        return Filled(name, "unavailable", unavailable=[failure.service])
    except TimeoutError:
        return Filled(name, "unavailable", unavailable=list(CATALOGUE[name].services))
    return Filled(name, "ok", data)


async def fill_all(
    viewer: Viewer, names: list[str], *, now: datetime, timeout: float
) -> list[Filled]:
    """Every named widget at once; none waits for another."""
    return list(
        await asyncio.gather(*(fill(viewer, name, now=now, timeout=timeout) for name in names))
    )
