"""Replicas of other services' records, kept from snapshot events: the newest snapshot wins."""

from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession


async def upsert_newer(session: AsyncSession, table: Any, id_: Any, values: dict[str, Any]) -> None:
    """Insert or update the replica row `id_`, unless it already holds a newer snapshot.

    `table` has `id` and `changed_at` columns; `values["changed_at"]` is the event's time, so a
    late redelivery of an older snapshot changes nothing.
    """
    statement = insert(table).values(id=id_, **values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.id],
            set_=values,
            where=table.changed_at <= statement.excluded.changed_at,
        )
    )
