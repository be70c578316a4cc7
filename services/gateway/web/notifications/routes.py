"""The bell: notifications pushed to open pages over Server-Sent Events, and their list."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from services.gateway import notifications
from services.gateway.feed import listener_of
from services.gateway.notifications import NotificationHub, unread_count
from services.gateway.tables import User
from services.gateway.web.common import PageUser, redirect
from services.gateway.web.rendering import render
from shared.deps import Sessions
from shared.pagination import Cursor

router = APIRouter(include_in_schema=False)

KEEP_ALIVE_SECONDS = 15
PANEL_SIZE = 8  # the bell's dropdown: the newest few, then "More"
PAGE_SIZE = 25


def _sse(payload: str) -> str:
    """A pushed payload as an SSE event: a new notification, the unread count after reading,
    or a change of the feed (which post, what happened; the page asks for the rest)."""
    data = json.loads(payload)
    if data.get("event") == "unread":
        return f"event: unread\ndata: {json.dumps({'count': data['count']})}\n\n"
    if data.get("event") == "feed":
        change = {key: data.get(key) for key in ("change", "post_id", "record")}
        return f"event: feed\ndata: {json.dumps(change)}\n\n"
    return f"event: notification\ndata: {payload}\n\n"


@router.get("/notifications/stream")
async def notification_stream(
    request: Request, user: PageUser, sessions: Sessions
) -> StreamingResponse:
    """Server-Sent Events: the unread count at once, then each new notification as it comes."""
    hub: NotificationHub = request.app.state.hub
    queue = hub.subscribe(user.id, await listener_of(sessions, user))

    async def events() -> AsyncIterator[str]:
        try:
            yield f"event: unread\ndata: {json.dumps({'count': await unread_count(sessions, user.id)})}\n\n"
            while not await request.is_disconnected():
                try:
                    payload = await asyncio.wait_for(queue.get(), KEEP_ALIVE_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if payload == notifications.CLOSED:
                    return  # the process is stopping; the page reconnects
                yield _sse(payload)
        finally:
            hub.unsubscribe(user.id, queue)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


def _counted(response: Response, count: int) -> Response:
    """Let the page's bell show `count` at once (the stream tells the user's other tabs)."""
    response.headers["HX-Trigger"] = json.dumps({"crm:unread": {"count": count}})
    return response


async def _list(
    user: User, sessions: Sessions, where: str, cursor: str | None = None
) -> dict[str, Any]:
    size = PANEL_SIZE if where == "panel" else PAGE_SIZE
    page = await notifications.newest_first(sessions, user_id=user.id, limit=size, cursor=cursor)
    return {"page": page, "where": where}


@router.get("/notifications")
async def notifications_page(
    request: Request, user: PageUser, sessions: Sessions, cursor: Cursor = None
) -> Response:
    """Every notification of the user, newest first, a page at a time."""
    context = await _list(user, sessions, "page", cursor)
    return render(request, "notifications/notifications.html", user, **context)


@router.get("/notifications/panel")
async def notification_panel(request: Request, user: PageUser, sessions: Sessions) -> Response:
    """The newest notifications, for the bell's dropdown."""
    context = await _list(user, sessions, "panel")
    return render(request, "notifications/_list.html", user, **context)


@router.get("/notifications/more")
async def more_notifications(
    request: Request, user: PageUser, sessions: Sessions, cursor: Cursor = None, where: str = "page"
) -> Response:
    """The next notifications of a list, after `cursor`."""
    context = await _list(user, sessions, where, cursor)
    return render(request, "notifications/_items.html", user, **context)


@router.post("/notifications/read")
async def mark_all_read(
    request: Request, user: PageUser, sessions: Sessions, where: str = "page"
) -> Response:
    """Everything read; the list again, from the newest."""
    await notifications.mark_all_read(sessions, user_id=user.id)
    context = await _list(user, sessions, where)
    return _counted(render(request, "notifications/_list.html", user, **context), 0)


@router.post("/notifications/{notification_id}/read")
async def mark_read(
    request: Request, notification_id: UUID, user: PageUser, sessions: Sessions
) -> Response:
    """One read; the item again, no longer marked unread."""
    unread = await notifications.mark_read(
        sessions, user_id=user.id, notification_id=notification_id
    )
    item = await notifications.notification(
        sessions, user_id=user.id, notification_id=notification_id
    )
    return _counted(render(request, "notifications/_item.html", user, item=item), unread)


@router.get("/notifications/{notification_id}/open")
async def open_notification(
    request: Request, notification_id: UUID, user: PageUser, sessions: Sessions
) -> Response:
    """Go to what the notification is about; opening it reads it."""
    item = await notifications.notification(
        sessions, user_id=user.id, notification_id=notification_id
    )
    await notifications.mark_read(sessions, user_id=user.id, notification_id=notification_id)
    inside = item.link and item.link.startswith("/") and not item.link.startswith("//")
    return redirect(request, item.link if inside and item.link else "/notifications")
