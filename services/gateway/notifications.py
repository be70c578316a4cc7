"""Notifications: stored per user, pushed to every open tab of that user, on any gateway replica.

A notification is written with `pg_notify` in the same transaction; every gateway replica listens
and forwards it to the streams it holds, so a user is reached whichever replica serves the tab.
Marking notifications read announces the new unread count the same way, so every open tab's
bell shows it. Changes of the feed (a new post, a comment, a reaction) ride the same channel and
streams: each goes to the open tabs of the people its audience names, who then ask for what
changed as themselves.
"""

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.schemas import NotificationPublic
from services.gateway.tables import Notification
from shared.db import SessionFactory, unit_of_work
from shared.errors import NotFound
from shared.listen import listen
from shared.pagination import Page, keyset, page_of

log = logging.getLogger(__name__)

CHANNEL = "crm_notification"
IDENTITY_EVENT = "identity"  # a notice on the channel that a caller changed (callers.py)
QUEUE_SIZE = 100


@dataclass(frozen=True)
class Listener:
    """What an open tab may hear of the feed: changes whose audience names one of its user's
    principals (all of them for the administrator, who reads every post)."""

    principals: frozenset[str] = frozenset()
    everything: bool = False

    def hears(self, user_id: str, change: dict[str, Any]) -> bool:
        if self.everything or change.get("author_id") == user_id:
            return True
        return not self.principals.isdisjoint(change.get("audience", []))


CLOSED = ""  # what a stream's queue gets when the process stops: the stream ends


def _push(queue: "asyncio.Queue[str]", payload: str) -> None:
    if queue.full():  # a stalled tab loses the oldest, never blocks the others
        queue.get_nowait()
    queue.put_nowait(payload)


class NotificationHub:
    """The open notification streams of this process, by user; notices that callers changed
    (`IDENTITY_EVENT`, see `callers.py`) go to `forget_callers` instead."""

    def __init__(self, forget_callers: Callable[[str | None], None] = lambda _: None) -> None:
        self._streams: dict[str, dict[asyncio.Queue[str], Listener]] = {}
        self._forget_callers = forget_callers
        self._closed = False

    def subscribe(self, user_id: UUID, listener: Listener | None = None) -> asyncio.Queue[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_SIZE)
        self._streams.setdefault(str(user_id), {})[queue] = listener or Listener()
        if self._closed:
            queue.put_nowait(CLOSED)
        return queue

    def close(self) -> None:
        """End every stream, now and to come: the process is stopping, and a page reconnects to
        the next start (or another replica) by itself, so none holds the stop up."""
        self._closed = True
        for streams in self._streams.values():
            for queue in streams:
                _push(queue, CLOSED)

    def unsubscribe(self, user_id: UUID, queue: asyncio.Queue[str]) -> None:
        streams = self._streams.get(str(user_id), {})
        streams.pop(queue, None)
        if not streams:
            self._streams.pop(str(user_id), None)

    def deliver(self, payload: str) -> None:
        """Hand one notification (JSON with `user_id`) to each open stream of its user, or a
        change of the feed to the streams of those its audience names."""
        data = json.loads(payload)
        if data.get("event") == IDENTITY_EVENT:
            self._forget_callers(data.get("user_id"))
            return
        if data.get("event") == "feed":
            queues = [
                queue
                for user_id, streams in self._streams.items()
                for queue, listener in streams.items()
                if listener.hears(user_id, data)
            ]
        else:
            queues = list(self._streams.get(str(data.get("user_id")), {}))
        for queue in queues:
            _push(queue, payload)

    async def run(self, dsn: str) -> None:
        # Notices sent while the connection was down are lost: forget every caller then.
        await listen(dsn, CHANNEL, self.deliver, on_connect=lambda: self._forget_callers(None))


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
    await announce(session, public(notification, await _unread(session, user_id)))
    return notification


async def announce(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Tell every replica's open tabs of `payload["user_id"]`, once the transaction commits."""
    await session.execute(
        text("SELECT pg_notify(:channel, :payload)"),
        {"channel": CHANNEL, "payload": json.dumps(payload)},
    )


def unread_event(user_id: UUID, count: int) -> dict[str, Any]:
    """What a tab's bell needs after notifications were read: the user's unread count."""
    return {"event": "unread", "user_id": str(user_id), "count": count}


async def mark_read(sessions: SessionFactory, *, user_id: UUID, notification_id: UUID) -> int:
    """Mark one of the user's notifications read (again is fine); the unread count after it."""
    async with unit_of_work(sessions) as session:
        marked = await session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.user_id == user_id)
            .values(read_at=func.coalesce(Notification.read_at, func.now()))
        )
        if marked.rowcount == 0:  # type: ignore[attr-defined]
            raise NotFound("notification")
        unread = await _unread(session, user_id)
        await announce(session, unread_event(user_id, unread))
    return unread


async def mark_all_read(sessions: SessionFactory, *, user_id: UUID) -> None:
    """Mark every notification of the user read."""
    async with unit_of_work(sessions) as session:
        await session.execute(
            update(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .values(read_at=func.now())
        )
        await announce(session, unread_event(user_id, 0))


async def notification(
    sessions: SessionFactory, *, user_id: UUID, notification_id: UUID
) -> NotificationPublic:
    """One of the user's own notifications; anyone else's is not found."""
    async with sessions() as session:
        found = await session.get(Notification, notification_id)
    if found is None or found.user_id != user_id:
        raise NotFound("notification")
    return NotificationPublic.model_validate(found)


async def newest_first(
    sessions: SessionFactory,
    *,
    user_id: UUID,
    limit: int,
    cursor: str | None = None,
    unread: bool = False,
) -> Page[NotificationPublic]:
    """A page of the user's notifications, newest first; only the unread ones with `unread`."""
    query = select(Notification).where(Notification.user_id == user_id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    query = keyset(
        query,
        (Notification.created_at, Notification.id),
        cursor=cursor,
        types=(datetime.fromisoformat, UUID),
        limit=limit,
        descending=True,
    )
    async with sessions() as session:
        rows = (await session.scalars(query)).all()
    items = [NotificationPublic.model_validate(row) for row in rows]
    return page_of(items, limit, key=lambda item: (item.created_at.isoformat(), item.id))


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
