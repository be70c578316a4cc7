"""Reads at database speed: statements compiled once, a pool of plain connections, and an
answer of 503 (never 500) when every connection stays in use."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from sqlalchemy import bindparam, column, select, table

from services.deals.app import create_app
from services.deals.settings import DealsSettings
from shared.auth import Identity, InvalidIdentity, VerifiedTokens, sign_identity
from shared.bus import InProcessBus
from shared.postgres import async_url
from shared.reads import DatabaseBusy, ReadPool, Statement
from shared.testing.apps import ADMIN, TEST_SECRET, identity_headers, running

letters = table("pg_class", column("relname"), column("relkind"))


def test_a_statement_takes_named_parameters_and_keeps_its_own_literals() -> None:
    query = select(letters.c.relname).where(
        letters.c.relkind == "r", letters.c.relname == bindparam("name")
    )

    statement = Statement.of(query.limit(1))

    assert statement.sql.count("$") == 3
    arguments = statement.arguments({"name": "deal"})
    assert sorted(map(str, arguments)) == ["1", "deal", "r"]


def test_a_statement_refuses_a_list_it_would_have_to_spell_out() -> None:
    with pytest.raises(ValueError, match="any"):
        Statement.of(select(letters.c.relname).where(letters.c.relkind.in_(["r", "v"])))


@contextlib.asynccontextmanager
async def read_pool(
    new_database: Any, name: str, *, size: int = 1, wait_seconds: float = 1
) -> AsyncIterator[ReadPool]:
    """A read pool on a new database, closed at the end."""
    reads = ReadPool(async_url(await new_database(name)), size=size, wait_seconds=wait_seconds)
    await reads.start()
    try:
        yield reads
    finally:
        await reads.close()


async def test_the_read_pool_answers_rows_with_ids_as_text_and_json_decoded(
    new_database: Any,
) -> None:
    async with read_pool(new_database, "reads") as reads:
        statement = Statement("SELECT $1::uuid AS id, $2::jsonb AS data", ("id", "data"), fixed={})
        row = await reads.row(statement, id=uuid4(), data={"a": [1]})

    assert row is not None and isinstance(row["id"], str) and row["data"] == {"a": [1]}


async def test_a_read_waits_briefly_for_a_connection_then_gives_up(new_database: Any) -> None:
    reads = ReadPool(async_url(await new_database("busy")), size=1, wait_seconds=0.2)
    await reads.start()
    holding = asyncio.Event()
    release = asyncio.Event()

    async def hold(_: asyncpg.Connection) -> None:
        holding.set()
        await release.wait()

    held = asyncio.create_task(reads.run(hold))
    await holding.wait()
    started = time.monotonic()
    try:
        with pytest.raises(DatabaseBusy):
            await reads.rows(Statement("SELECT 1", (), {}))
    finally:
        release.set()
        await held
        await reads.close()
    assert 0.15 < time.monotonic() - started < 2


async def _backends(reads: ReadPool) -> set[int]:
    """The server processes behind the connections the pool holds idle."""
    pids: set[int] = set()
    for _ in range(reads._size):  # as many as it may hold
        pids.add(await reads.run(lambda connection: connection.fetchval("SELECT pg_backend_pid()")))
    return pids


async def test_the_read_pool_reuses_a_connection_and_opens_no_more_than_its_size(
    new_database: Any,
) -> None:
    async with read_pool(new_database, "sized", size=2) as reads:
        one_after_another = await _backends(reads)
        statement = Statement("SELECT pg_backend_pid() AS pid, pg_sleep(0.05)", (), {})
        side_by_side = await asyncio.gather(*(reads.row(statement) for _ in range(6)))

    assert len(one_after_another) == 1  # no read waited, so one connection served them all
    assert len({row["pid"] for row in side_by_side if row}) == 2


async def test_a_read_cancelled_half_way_leaves_no_connection_behind_for_the_next(
    new_database: Any,
) -> None:
    async with read_pool(new_database, "cancelled") as reads:
        before = await _backends(reads)
        slow = asyncio.create_task(reads.rows(Statement("SELECT pg_sleep(5)", (), {})))
        await asyncio.sleep(0.2)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        started = time.monotonic()
        after = await _backends(reads)  # not stuck behind the cancelled statement
        waited = time.monotonic() - started

    assert before.isdisjoint(after) and waited < 2


async def test_a_read_failing_in_the_database_keeps_its_connection(new_database: Any) -> None:
    async with read_pool(new_database, "refused") as reads:
        before = await _backends(reads)
        with pytest.raises(asyncpg.UndefinedTableError):
            await reads.rows(Statement("SELECT * FROM nowhere", (), {}))
        after = await _backends(reads)

    assert before == after


async def test_a_waiting_read_takes_the_connection_given_back_and_a_killed_one_is_replaced(
    new_database: Any,
) -> None:
    async with read_pool(new_database, "handed", wait_seconds=2) as reads:
        holding = asyncio.Event()
        release = asyncio.Event()

        async def hold(connection: asyncpg.Connection) -> int:
            holding.set()
            await release.wait()
            return int(await connection.fetchval("SELECT pg_backend_pid()"))

        held = asyncio.create_task(reads.run(hold))
        await holding.wait()
        waiting = asyncio.create_task(_backends(reads))
        await asyncio.sleep(0.1)
        assert not waiting.done()
        release.set()
        first, handed = await held, await waiting
        killer = await asyncpg.connect(reads._dsn)
        try:
            await killer.execute("SELECT pg_terminate_backend($1)", first)
        finally:
            await killer.close()
        await asyncio.sleep(0.1)
        replaced = await _backends(reads)

    assert handed == {first} and first not in replaced


async def test_a_service_with_every_connection_in_use_answers_503_not_500(
    service_database: Any, settings_for: Any, bus: InProcessBus
) -> None:
    settings = DealsSettings(
        **settings_for(await service_database("deals")),
        database_connections=6,
        database_wait_seconds=0.2,
    )
    app = create_app(settings, bus)
    async with running(app) as deals:
        deals.headers.update(identity_headers())
        budget = app.state.budget
        release = asyncio.Event()
        taken = asyncio.Event()
        holders = budget.reads + budget.sessions

        async def hold_read(_: asyncpg.Connection) -> None:
            taken.set()
            await release.wait()

        async def hold_session() -> None:
            async with app.state.engine.connect():
                await release.wait()

        tasks = [asyncio.create_task(app.state.reads.run(hold_read)) for _ in range(budget.reads)]
        tasks += [asyncio.create_task(hold_session()) for _ in range(budget.sessions)]
        await taken.wait()
        await asyncio.sleep(0.05)
        try:
            listed = await deals.get("/api/deals")
            created = await deals.post("/api/companies", json={"name": "Zajęta sp. z o.o."})
        finally:
            release.set()
            await asyncio.gather(*tasks)

    assert holders == 6 - budget.listeners - budget.events
    assert (listed.status_code, created.status_code) == (503, 503)
    assert listed.headers["retry-after"] == "1"


async def test_a_verified_token_is_remembered_but_never_past_its_expiry() -> None:
    tokens = VerifiedTokens(TEST_SECRET)
    brief = sign_identity(ADMIN, TEST_SECRET, ttl=timedelta(seconds=1))

    assert tokens.identity(brief) == ADMIN
    assert tokens.identity(brief) == ADMIN  # the second time from memory
    await asyncio.sleep(2.1)  # the token's expiry has whole seconds
    with pytest.raises(InvalidIdentity):
        tokens.identity(brief)
    with pytest.raises(InvalidIdentity):
        tokens.identity(sign_identity(Identity(user_id="x", role="admin"), "another" * 6))
