"""Notifications: stored per user, pushed to every open tab of that user, on any gateway replica.

A notification is written with `pg_notify` in the same transaction; every gateway replica listens
and forwards it to the streams it holds, so a user is reached whichever replica serves the tab.
"""

import asyncio
import json
import logging
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.tables import Notification
from shared.db import SessionFactory, unit_of_work
from shared.listen import listen

log = logging.getLogger(__name__)

CHANNEL = "crm_notification"
QUEUE_SIZE = 100


class NotificationHub:
    """The open notification streams of this process, by user."""

    def __init__(self) -> None:
        self._streams: dict[str, set[asyncio.Queue[str]]] = {}

    def subscribe(self, user_id: UUID) -> asyncio.Queue[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_SIZE)
        self._streams.setdefault(str(user_id), set()).add(queue)
        return queue

    def unsubscribe(self, user_id: UUID, queue: asyncio.Queue[str]) -> None:
        streams = self._streams.get(str(user_id), set())
        streams.discard(queue)
        if not streams:
            self._streams.pop(str(user_id), None)

    def deliver(self, payload: str) -> None:
        """Hand one notification (JSON with `user_id`) to each open stream of its user."""
        user_id = json.loads(payload).get("user_id")
        for queue in self._streams.get(str(user_id), set()):
            if queue.full():  # a stalled tab loses the oldest, never blocks the others
                queue.get_nowait()
            queue.put_nowait(payload)

    async def run(self, dsn: str) -> None:
        await listen(dsn, CHANNEL, self.deliver)


def public(notification: Notification, unread: int) -> dict[str, Any]:
    return {
        "id": str(notification.id),
        "user_id": str(notification.user_id),
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body[:500],  # pg_notify carries at most 8000 bytes
        "link": notification.link,
        "created_at": notification.created_at.isoformat(),
        "unread": unread,
    }


async def add_notification(
    session: AsyncSession,
    *,
    user_id: UUID,
    kind: str,
    title: str,
    body: str = "",
    link: str | None = None,
) -> Notification:
    """Keep a notification in the caller's transaction; open tabs get it when that commits."""
    notification = Notification(user_id=user_id, kind=kind, title=title, body=body, link=link)
    session.add(notification)
    await session.flush()
    await session.refresh(notification)
    payload = json.dumps(public(notification, await _unread(session, user_id)))
    await session.execute(
        text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload}
    )
    return notification


async def notify(
    sessions: SessionFactory,
    *,
    user_id: UUID,
    kind: str,
    title: str,
    body: str = "",
    link: str | None = None,
) -> Notification:
    """Keep a notification for `user_id` and push it to their open tabs."""
    async with unit_of_work(sessions) as session:
        return await add_notification(
            session, user_id=user_id, kind=kind, title=title, body=body, link=link
        )


async def unread_count(sessions: SessionFactory, user_id: UUID) -> int:
    async with sessions() as session:
        return await _unread(session, user_id)


async def _unread(session: AsyncSession, user_id: UUID) -> int:
    query = select(func.count()).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    return int(await session.scalar(query) or 0)
