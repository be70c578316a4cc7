"""Reads at database speed: one statement on a pooled asyncpg connection, its rows as they come.

A read that only turns rows into JSON needs neither the ORM's objects nor a transaction: its
statement is a Core select compiled once per shape (`Statement.of`, with named `bindparam`s
for what changes per request), run on a connection of the service's read pool without
BEGIN/COMMIT or a ping, and answered with `json_answer`, serialised once.
"""

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, cast

import asyncpg
import pydantic_core
from fastapi import Depends, Request, Response
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from shared.postgres import asyncpg_dsn

_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]
T = TypeVar("T")


class DatabaseBusy(Exception):
    """Every connection of the service's budget stayed in use while the request waited."""


@dataclass(frozen=True)
class Statement:
    """A Core statement compiled for asyncpg; parameters by the names of its `bindparam`s (the
    values written into the statement itself, such as a literal or `LIMIT 1`, come with it)."""

    sql: str
    names: tuple[str, ...]
    fixed: Mapping[str, Any]

    @classmethod
    def of(cls, query: ClauseElement) -> "Statement":
        compiled = cast(SQLCompiler, query.compile(dialect=_DIALECT))
        if "POSTCOMPILE" in compiled.string:
            raise ValueError("write `x = any(:list)` for a list parameter; `IN` needs its values")
        fixed = {name: bind.value for name, bind in compiled.binds.items() if not bind.required}
        return cls(compiled.string, tuple(compiled.positiontup or ()), fixed)

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        return [params[name] if name in params else self.fixed[name] for name in self.names]


async def _prepare(connection: asyncpg.Connection) -> None:
    """JSON arrives decoded, as SQLAlchemy gives it; ids arrive as text, ready for the answer
    (asyncpg's own UUID objects cost an encoder 60 times what a string does)."""
    for kind in ("json", "jsonb"):
        await connection.set_type_codec(
            kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )
    await connection.set_type_codec(
        "uuid", encoder=str, decoder=str, schema="pg_catalog", format="text"
    )


async def _nothing_to_reset(_: asyncpg.Connection) -> None:
    """Reads leave no session state behind (no SET, LISTEN or lock): a returned connection
    needs no reset round trip."""


class ReadPool:
    """Connections for reads only: single statements, each its own transaction."""

    def __init__(self, database_url: str, *, size: int, wait_seconds: float) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._size = size
        self._wait = wait_seconds
        self._pool: asyncpg.Pool | None = None

    async def start(self) -> None:
        self._pool = await asyncpg.create_pool(
            self._dsn,
            min_size=0,
            max_size=self._size,
            init=_prepare,
            reset=_nothing_to_reset,
            max_inactive_connection_lifetime=60,
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()

    async def rows(self, statement: Statement, **params: Any) -> list[asyncpg.Record]:
        result: list[asyncpg.Record] = await self.run(
            lambda connection: connection.fetch(statement.sql, *statement.arguments(params))
        )
        return result

    async def row(self, statement: Statement, **params: Any) -> asyncpg.Record | None:
        result: asyncpg.Record | None = await self.run(
            lambda connection: connection.fetchrow(statement.sql, *statement.arguments(params))
        )
        return result

    async def run(self, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """`work` on one connection (several statements, e.g. a board); once more on a new
        connection when the one taken turns out closed (a restarted database)."""
        for attempt in (1, 2):
            connection = await self._acquire()
            try:
                return await work(connection)
            except (asyncpg.ConnectionDoesNotExistError, asyncpg.InterfaceError):
                if attempt == 2:
                    raise
            finally:
                assert self._pool is not None
                await self._pool.release(connection)
        raise AssertionError("unreachable")

    async def _acquire(self) -> asyncpg.Connection:
        assert self._pool is not None, "the read pool is not started"
        try:
            connection: asyncpg.Connection = await self._pool.acquire(timeout=self._wait)
        except (TimeoutError, asyncpg.TooManyConnectionsError):
            raise DatabaseBusy from None
        return connection


async def reads_of(request: Request) -> ReadPool:
    pool: ReadPool = request.app.state.reads
    return pool


Reads = Annotated[ReadPool, Depends(reads_of)]


def json_answer(
    content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """`content` (dicts, lists, rows' values) as JSON, encoded once by pydantic-core: dates,
    amounts and ids are written as the services' models write them."""
    return Response(
        pydantic_core.to_json(content),
        status_code,
        headers=dict(headers) if headers else None,
        media_type="application/json",
    )
