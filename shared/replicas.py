"""Replicas of other services' records, kept from snapshot events: the newest snapshot wins."""

from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement


async def upsert_newer(session: AsyncSession, table: Any, id_: Any, values: dict[str, Any]) -> None:
    """Insert or update the replica row `id_`, unless it already holds a newer snapshot.

    `table` (a mapped class or a table) has `id` and `changed_at` columns; `values["changed_at"]`
    is the event's time, so a late redelivery of an older snapshot changes nothing.
    """
    if any(isinstance(value, ClauseElement) for value in values.values()):
        statement = insert(table).values(id=id_, **values)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[table.id],
                set_=values,
                where=table.changed_at <= statement.excluded.changed_at,
            )
        )
        return
    parameters = {f"new_{name}": value for name, value in values.items()}
    await session.execute(_upsert(table, tuple(values)), {"new_id": id_, **parameters})


@cache
def _upsert(table: Any, columns: tuple[str, ...]) -> Insert:
    """The statement for `table` and these columns, built once: building it cost more than
    running it (each consumer applies a replica's event with it)."""
    core = getattr(table, "__table__", table)
    statement = insert(core).values(
        {name: bindparam(f"new_{name}", type_=core.c[name].type) for name in ("id", *columns)}
    )
    return statement.on_conflict_do_update(
        index_elements=[core.c.id],
        set_={name: statement.excluded[name] for name in columns},
        where=core.c.changed_at <= statement.excluded.changed_at,
    )
