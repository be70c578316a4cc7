"""The visibility rule, checked record by record and as a SQL filter on a real PostgreSQL."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import column, select, table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.auth import Identity
from shared.db import new_engine
from shared.postgres import async_url
from shared.visibility import can_see, visible_to

ANNA = Identity(user_id="anna", role="manager", team_ids=["north"])
BOSS = Identity(user_id="boss", role="head", team_ids=["north", "gdansk"])
LAWYER = Identity(user_id="lex", role="staff", department_id="legal")
ADMIN = Identity(user_id="root", role="admin")

# (owner, team, department) of each record
RECORDS = {
    "annas deal": ("anna", "north", None),
    "pawels deal in gdansk": ("pawel", "gdansk", None),
    "southern deal": ("ola", "south", None),
    "request to legal": ("ola", "south", "legal"),
}
EXPECTED = [
    (ANNA, {"annas deal"}),
    (BOSS, {"annas deal", "pawels deal in gdansk"}),
    (LAWYER, {"request to legal"}),
    (ADMIN, set(RECORDS)),
]
ROLES = [who.role for who, _ in EXPECTED]

record = table("record", column("name"), column("owner"), column("team"), column("department"))


@pytest.mark.parametrize(("who", "expected"), EXPECTED, ids=ROLES)
def test_each_role_sees_exactly_its_records(who: Identity, expected: set[str]) -> None:
    seen = {
        name
        for name, (owner, team, department) in RECORDS.items()
        if can_see(who, owner_id=owner, team_id=team, department_id=department)
    }
    assert seen == expected


@pytest.fixture
async def engine(new_database: Any) -> AsyncIterator[AsyncEngine]:
    engine = new_engine(async_url(await new_database("visibility")))
    async with engine.begin() as connection:
        await connection.execute(
            text("CREATE TABLE record (name text, owner text, team text, department text)")
        )
        for name, (owner, team, department) in RECORDS.items():
            await connection.execute(
                text("INSERT INTO record VALUES (:n, :o, :t, :d)"),
                {"n": name, "o": owner, "t": team, "d": department},
            )
    yield engine
    await engine.dispose()


@pytest.mark.parametrize(("who", "expected"), EXPECTED, ids=ROLES)
async def test_the_sql_filter_agrees_with_the_check(
    engine: AsyncEngine, who: Identity, expected: set[str]
) -> None:
    condition = visible_to(
        who, owner=record.c.owner, team=record.c.team, department=record.c.department
    )
    async with engine.connect() as connection:
        names = set((await connection.scalars(select(record.c.name).where(condition))).all())
    assert names == expected
