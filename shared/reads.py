"""Reads at database speed: one statement on a pooled asyncpg connection, its rows as they come.

A read that only turns rows into JSON needs neither the ORM's objects nor a transaction: its
statement is a Core select compiled once per shape (`Statement.of`, with named `bindparam`s
for what changes per request), run on a connection of the service's read pool without
BEGIN/COMMIT or a ping, and answered with `json_answer`, serialised once.
"""

import asyncio
import contextlib
import json
import time
from collections import deque
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
CONNECT_SECONDS = 10.0  # a server that does not answer: the read is answered 503 after this


class DatabaseBusy(Exception):
    """Every connection of the service's budget stayed in use while the request waited (or a new
    one could not be made in time)."""


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


class ReadPool:
    """Connections for reads only: single statements, each its own transaction.

    A pool of its own rather than asyncpg's: a read takes an idle connection and puts it back
    without awaiting anything (asyncpg's pool sets a timer for every acquire and runs every
    release as a task of its own, behind `asyncio.shield`, which costs a read a second turn of
    the event loop). Reads leave no session state behind (no SET, LISTEN, lock or open
    transaction), so a connection needs no reset; one that may (its read failed or was
    cancelled half-way) is closed instead of reused.
    """

    def __init__(
        self,
        database_url: str,
        *,
        size: int,
        wait_seconds: float,
        idle_seconds: float = 60,
        server_settings: Mapping[str, str] | None = None,
    ) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._server_settings = dict(server_settings or {})
        self._size = size
        self._wait = wait_seconds
        self._idle_seconds = idle_seconds
        self._idle: list[tuple[asyncpg.Connection, float]] = []  # the warmest last
        self._open = 0  # connections made or being made, idle or in use
        # Reads waiting for a connection: given one, or None for the right to make one.
        self._waiting: deque[asyncio.Future[asyncpg.Connection | None]] = deque()
        self._closed = False

    async def start(self) -> None:
        """Nothing to do: connections are made as reads need them."""
        self._closed = False

    async def close(self) -> None:
        """Closes the idle connections; those in use are closed as they come back."""
        self._closed = True
        idle, self._idle = self._idle, []
        self._open -= len(idle)
        for waiter in self._waiting:
            if not waiter.done():
                waiter.set_exception(asyncpg.InterfaceError("the read pool is closed"))
        await asyncio.gather(
            *(connection.close() for connection, _ in idle), return_exceptions=True
        )

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
            connection = self._take() or await self._wait_for_connection()
            try:
                result = await work(connection)
            except (asyncpg.ConnectionDoesNotExistError, asyncpg.InterfaceError):
                self._drop(connection)
                if attempt == 2:
                    raise
                continue
            except asyncpg.PostgresError:
                self._give_back(connection)  # the server refused the statement, and is ready
                raise
            except BaseException:
                self._drop(connection)  # cancelled or failed half-way: its state is unknown
                raise
            self._give_back(connection)
            return result
        raise AssertionError("unreachable")

    def _take(self) -> asyncpg.Connection | None:
        """An idle connection, if one is (no waiting, no await)."""
        while self._idle:
            connection, _ = self._idle.pop()
            if not connection.is_closed():
                return connection
            self._open -= 1
        return None

    async def _wait_for_connection(self) -> asyncpg.Connection:
        if self._closed:
            raise asyncpg.InterfaceError("the read pool is closed")
        if self._open < self._size:
            self._open += 1
            return await self._connect()
        waiter: asyncio.Future[asyncpg.Connection | None] = (
            asyncio.get_running_loop().create_future()
        )
        self._waiting.append(waiter)
        try:
            async with asyncio.timeout(self._wait):
                given = await waiter
        except BaseException as error:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._pass_on(waiter.result())  # given just as the wait ended: not ours
            else:
                with contextlib.suppress(ValueError):  # unless passed over as done
                    self._waiting.remove(waiter)
            if isinstance(error, TimeoutError):
                raise DatabaseBusy from None
            raise
        return given if given is not None else await self._connect()

    async def _connect(self) -> asyncpg.Connection:
        """A new connection in a place already counted in `_open`."""
        try:
            connection = await asyncpg.connect(
                self._dsn,
                timeout=max(self._wait, CONNECT_SECONDS),
                server_settings=self._server_settings,
            )
            try:
                await _prepare(connection)
            except BaseException:
                connection.terminate()
                raise
        except BaseException as error:
            self._pass_on(None)
            if isinstance(error, (asyncpg.TooManyConnectionsError, TimeoutError)):
                raise DatabaseBusy from None
            raise
        return connection

    def _give_back(self, connection: asyncpg.Connection) -> None:
        if self._closed or connection.is_closed() or connection.is_in_transaction():
            self._drop(connection)
        else:
            self._pass_on(connection)

    def _drop(self, connection: asyncpg.Connection) -> None:
        connection.terminate()
        self._pass_on(None)

    def _pass_on(self, connection: asyncpg.Connection | None) -> None:
        """`connection` (None: its place) to the first read still waiting, else kept idle (else
        its place freed)."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        if connection is None:
            self._open -= 1
            return
        now = time.monotonic()
        self._idle.append((connection, now))
        # The coldest connection goes once it has been idle a while: the server gets it back.
        if len(self._idle) > 1 and now - self._idle[0][1] > self._idle_seconds:
            self._open -= 1
            self._idle.pop(0)[0].terminate()


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
