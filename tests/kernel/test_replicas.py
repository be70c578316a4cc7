"""Replicas keep the newest snapshot, whatever order the events arrive in."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import func, select

from services.planning.app import SPEC as PLANNING
from services.planning.tables import CustomerAccess, Member
from shared.db import SessionFactory, new_engine, new_session_factory, unit_of_work
from shared.migrations import upgrade_async
from shared.postgres import async_url
from shared.replicas import upsert_newer

NOON = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture
async def sessions(new_database: Any) -> AsyncIterator[SessionFactory]:
    url = async_url(await new_database("replicas"))
    await upgrade_async(PLANNING.migrations, url)
    engine = new_engine(url)
    yield new_session_factory(engine)
    await engine.dispose()


async def keep(sessions: SessionFactory, table: Any, id_: Any, values: dict[str, Any]) -> None:
    async with unit_of_work(sessions) as session:
        await upsert_newer(session, table, id_, values)


def member(name: str, at: datetime, *, active: bool = True) -> dict[str, Any]:
    return {"name": name, "role": "manager", "team_id": None, "active": active, "changed_at": at}


async def test_a_newer_snapshot_replaces_and_an_older_one_changes_nothing(
    sessions: SessionFactory,
) -> None:
    anna, piotr = uuid4(), uuid4()

    await keep(sessions, Member, anna, member("Anna", NOON))
    await keep(sessions, Member, anna, member("Anna Nowak", NOON + timedelta(minutes=1)))
    await keep(sessions, Member, anna, member("Anna (late)", NOON - timedelta(minutes=1)))
    await keep(sessions, Member, piotr, member("Piotr", NOON, active=False))

    async with sessions() as session:
        rows = (await session.execute(select(Member.id, Member.name, Member.active))).all()
    assert sorted((row.name, row.active) for row in rows) == [
        ("Anna Nowak", True),
        ("Piotr", False),
    ]


async def test_values_given_as_sql_are_written_too(sessions: SessionFactory) -> None:
    await keep(sessions, CustomerAccess, 1, {"readers": "sales", "changed_at": func.now()})
    await keep(sessions, CustomerAccess, 1, {"readers": "owners", "changed_at": NOON})

    async with sessions() as session:
        readers = await session.scalar(select(CustomerAccess.readers))
    assert readers == "sales"  # the first was written now, after noon
