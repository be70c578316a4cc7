"""The snapshot topics' messages made again from a service's database: `crm events republish`,
for repairs (a snapshot topic lost or wrong, or made after the records). Each service says, per
aggregate, which rows hold its records and how a batch of them becomes messages; this pages
through them in order of change."""

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from shared.bus import Message
from shared.db import SessionFactory
from shared.events import Contract, new_event
from shared.snapshots import snapshot_message

BATCH = 500

Messages = Callable[[AsyncSession, Sequence[Any]], Awaitable[list[Message]]]


@dataclass(frozen=True)
class Aggregate:
    """The records of an aggregate: `query()` selects rows whose first entity is the record
    (with its `id` and `updated_at`), `messages` turns a batch of rows into snapshot messages."""

    query: Callable[[], Any]  # a Select
    table: Any
    messages: Messages


def state(record_id: UUID, time: datetime, data: Contract, *, ended: bool = False) -> Message:
    """A record's state on its snapshot topic as the event `data`, timed at its last change;
    `ended` (archived, deleted): a tombstone instead."""
    envelope = new_event(data, subject=record_id, time=time).model_dump(mode="json")
    message = snapshot_message(data.type, str(record_id), envelope)
    assert message is not None, data.type  # a republished type has a snapshot topic
    if ended:
        return Message(message.topic, message.key, envelope, tombstone=True)
    return message


def each(build: Callable[[Any], Message | None]) -> Messages:
    """`messages` for an aggregate whose rows each make their message alone (None: none)."""

    async def messages(_: AsyncSession, rows: Sequence[Any]) -> list[Message]:
        return [message for row in rows if (message := build(row)) is not None]

    return messages


async def snapshots(
    sessions: SessionFactory, aggregate: Aggregate, *, since: datetime | None
) -> AsyncIterator[list[Message]]:
    """Batches of snapshot messages of every record of `aggregate` (changed since `since`),
    in order of change."""
    table = aggregate.table
    after: tuple[datetime, UUID] | None = None
    while True:
        statement = aggregate.query().order_by(table.updated_at, table.id).limit(BATCH)
        if since is not None:
            statement = statement.where(table.updated_at >= since)
        if after is not None:
            statement = statement.where(tuple_(table.updated_at, table.id) > after)
        async with sessions() as session:
            rows = (await session.execute(statement)).all()
            if not rows:
                return
            messages = await aggregate.messages(session, rows)
        if messages:
            yield messages
        last = rows[-1][0]
        after = (last.updated_at, last.id)
