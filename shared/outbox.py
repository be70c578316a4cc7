"""The transactional outbox: events are written with the change that caused them, then relayed."""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, bindparam, column, func, insert, select, table, text, update
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from shared.bus import Bus, BusNotReady, Message
from shared.db import SessionFactory
from shared.events import Envelope
from shared.listen import listen
from shared.metrics import EVENTS_RELAYED, RELAY_FAILURES
from shared.postgres import asyncpg_dsn
from shared.snapshots import snapshot_message

log = logging.getLogger(__name__)

CHANNEL = "crm_outbox"
# Only one relay of a service publishes at a time, so events leave in commit order per aggregate.
_RELAY_LOCK = 0x6F7574  # "out"

outbox = table(
    "outbox",
    column("id"),
    column("event_id"),
    column("topic"),
    column("key"),
    column("type"),
    column("envelope", JSONB),
    column("sent_at"),
)


async def add_event(session: AsyncSession, event: Envelope[Any]) -> None:
    """Record `event` in the caller's transaction; it leaves only if that transaction commits."""
    await session.execute(
        insert(outbox).values(
            event_id=event.id,
            topic=event.data.topic,
            key=event.subject,
            type=event.type,
            envelope=event.model_dump(mode="json"),
        )
    )
    await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


# Many events in one statement: each column as an array, the envelopes as JSON text.
_ADD_MANY = text(
    "INSERT INTO outbox (event_id, topic, key, type, envelope)"
    " SELECT event_id, topic, key, type, envelope::jsonb"
    " FROM unnest(CAST(:event_ids AS uuid[]), CAST(:topics AS text[]), CAST(:keys AS text[]),"
    " CAST(:types AS text[]), CAST(:envelopes AS text[]))"
    " AS event (event_id, topic, key, type, envelope)"
)


async def add_events(session: AsyncSession, events: Sequence[Envelope[Any]]) -> None:
    """Record many events in the caller's transaction with one insert (and one wake-up call)."""
    if not events:
        return
    await session.execute(
        _ADD_MANY,
        {
            "event_ids": [event.id for event in events],
            "topics": [event.data.topic for event in events],
            "keys": [event.subject for event in events],
            "types": [event.type for event in events],
            "envelopes": [event.model_dump_json() for event in events],
        },
    )
    await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


def _messages(rows: Sequence[Any]) -> list[Message]:
    """Each row's event, and after it what the row puts on its snapshot topic (if anything)."""
    messages = []
    for row in rows:
        messages.append(Message(topic=row.topic, key=row.key, envelope=row.envelope))
        if (snapshot := snapshot_message(row.type, row.key, row.envelope)) is not None:
            messages.append(snapshot)
    return messages


class Relay:
    """Publishes pending outbox rows in order, marks them sent, and retries while the bus is down."""

    def __init__(
        self,
        *,
        service: str,
        sessions: SessionFactory,
        bus: Bus,
        database_url: str,
        batch_size: int = 200,
        poll_seconds: float = 2.0,
        max_backoff_seconds: float = 5.0,
    ) -> None:
        self.service = service
        self._sessions = sessions
        self._bus = bus
        self._dsn = asyncpg_dsn(database_url)
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._max_backoff = max_backoff_seconds
        self._wakeup = asyncio.Event()
        self._stopping = False
        # One round trip: take the relay lock and read the pending rows (none if another has it).
        # FOR UPDATE makes PostgreSQL read each row as it is once the lock is held: the statement's
        # snapshot is older than the lock, and a relay that committed in between must not have
        # its rows sent again.
        lock = select(func.pg_try_advisory_xact_lock(_RELAY_LOCK).label("held")).cte("relay_lock")
        self._pending = (
            select(outbox.c.id, outbox.c.topic, outbox.c.key, outbox.c.type, outbox.c.envelope)
            .join_from(outbox, lock, lock.c.held)
            .where(outbox.c.sent_at.is_(None))
            .order_by(outbox.c.id)
            .limit(batch_size)
            .with_for_update(of=outbox)
        )
        self._mark_sent = (
            update(outbox)
            .where(outbox.c.id == func.any(bindparam("ids", type_=ARRAY(BigInteger))))
            .values(sent_at=func.now())
        )

    async def relay_once(self) -> int:
        """Publish one batch of pending rows; return how many left the outbox."""
        async with self._sessions() as session, session.begin():
            connection = await session.connection()  # plain Core: no ORM on the events' way
            rows = (await connection.execute(self._pending)).all()
            if not rows:
                return 0
            await self._bus.publish(_messages(rows))
            await connection.execute(self._mark_sent, {"ids": [row.id for row in rows]})
        EVENTS_RELAYED.labels(self.service).inc(len(rows))
        return len(rows)

    async def run(self) -> None:
        """Relay until `stop()`: drain on every NOTIFY, poll as a fallback, back off on failure."""
        listener = asyncio.create_task(self._listen())
        backoff = 0.1
        try:
            while not self._stopping:
                try:
                    sent = await self.relay_once()
                    backoff = 0.1
                except Exception as error:  # the bus or the database is down: keep trying
                    RELAY_FAILURES.labels(self.service).inc()
                    # An in-process bus not started yet is the start-up of embedded mode, no fault.
                    level = logging.DEBUG if isinstance(error, BusNotReady) else logging.WARNING
                    log.log(
                        level,
                        "%s outbox relay: %s; retrying in %.1fs",
                        self.service,
                        error,
                        backoff,
                    )
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self._max_backoff)
                    continue
                if sent < self._batch_size:
                    await self._wait_for_wakeup()
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()

    async def _wait_for_wakeup(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), self._poll_seconds)
        self._wakeup.clear()

    async def _listen(self) -> None:
        """Wake the relay at once on every commit that added events."""
        await listen(
            self._dsn,
            CHANNEL,
            lambda _: self._wakeup.set(),
            on_connect=self._wakeup.set,  # catch up on anything committed while not listening
            retry_seconds=self._poll_seconds,
        )
