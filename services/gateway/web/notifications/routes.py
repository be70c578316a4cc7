"""The bell: notifications pushed to open pages over Server-Sent Events."""

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from services.gateway.notifications import NotificationHub, unread_count
from services.gateway.web.common import PageUser
from shared.deps import Sessions

router = APIRouter(include_in_schema=False)

KEEP_ALIVE_SECONDS = 15


@router.get("/notifications/stream")
async def notification_stream(
    request: Request, user: PageUser, sessions: Sessions
) -> StreamingResponse:
    """Server-Sent Events: the unread count at once, then each new notification as it comes."""
    hub: NotificationHub = request.app.state.hub
    queue = hub.subscribe(user.id)

    async def events() -> AsyncIterator[str]:
        try:
            yield f"event: unread\ndata: {json.dumps({'count': await unread_count(sessions, user.id)})}\n\n"
            while not await request.is_disconnected():
                try:
                    payload = await asyncio.wait_for(queue.get(), KEEP_ALIVE_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield f"event: notification\ndata: {payload}\n\n"
        finally:
            hub.unsubscribe(user.id, queue)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
