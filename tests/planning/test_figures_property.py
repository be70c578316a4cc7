"""Property: the summary and the grid agree with a plain SQL computation over random plans of
every size, status and client, for any window."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from services.planning.domain.periods import period_range, start_of
from shared.bus import InProcessBus
from shared.testing.people import team_changed
from tests.planning.test_lines import client, person

STATUSES = ("draft", "submitted", "approved", "doubtful", "rejected")
KINDS = ("day", "week", "month", "quarter", "year", "custom")
FIRST, LAST = date(2026, 9, 1), date(2027, 3, 31)
COUNTED = {"submitted": ("submitted", "approved", "doubtful"), "final": ("approved",)}

PLAIN = text(
    """
    SELECT manager_id, company_id, status,
           round(amount * (least(end_date, :end) - greatest(start_date, :start) + 1)
                 / (end_date - start_date + 1), 2) AS share
    FROM plan_line WHERE start_date <= :end AND end_date >= :start
    """
)


@st.composite
def spans(draw: st.DrawFn, kinds: tuple[str, ...] = KINDS) -> tuple[str, date, date]:
    """A period of a random kind within the months the plans cover."""
    kind = draw(st.sampled_from(kinds))
    day = draw(st.dates(FIRST, LAST))
    if kind == "custom":
        return kind, day, day + timedelta(days=draw(st.integers(0, 70)))
    return (kind, *period_range(kind, start_of(kind, day)))  # type: ignore[arg-type]


amounts = st.one_of(
    st.decimals(min_value=0, max_value=Decimal("0.99"), places=2),
    st.decimals(min_value=0, max_value=1_000_000, places=2),
)
plans = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 2), spans(), amounts, st.sampled_from(STATUSES)),
    max_size=25,
)


ORGANISATIONS: dict[int, dict[str, Any]] = {}


async def organisation(planning: httpx.AsyncClient, bus: InProcessBus) -> dict[str, Any]:
    """Two groups, three people and three clients on this database, made on the first example;
    approval on, so the final plan differs from the submitted one."""
    if id(planning) in ORGANISATIONS:
        return ORGANISATIONS[id(planning)]
    await planning.put("/api/plans/settings", json={"approval_required": True})
    company, north, south = uuid4(), uuid4(), uuid4()
    for team, parent in ((company, None), (north, company), (south, company)):
        await bus.publish([team_changed(team, head=None, parent=parent)])
    managers = [
        await person(bus, "manager", north),
        await person(bus, "manager", north),
        await person(bus, "head", south),
    ]
    clients = [await client(bus, name) for name in ("Alfa", "Beta", "Gamma")]
    ids = [UUID(m.user_id) for m in managers]
    made = {
        "managers": ids,
        "groups": {north: tuple(ids[:2]), south: (ids[2],)},
        "clients": [UUID(c) for c in clients],
    }
    return ORGANISATIONS.setdefault(id(planning), made)


async def replace_plans(planning: httpx.AsyncClient, org: dict[str, Any], drawn: list[Any]) -> None:
    sessions = planning._transport.app.state.sessions  # type: ignore[attr-defined]
    rows = [
        {
            "manager_id": org["managers"][manager],
            "company_id": org["clients"][company],
            "period": kind,
            "start_date": start,
            "end_date": end,
            "amount": amount,
            "status": status,
        }
        for manager, company, (kind, start, end), amount, status in drawn
    ]
    async with sessions() as session, session.begin():
        await session.execute(text("DELETE FROM plan_line"))
        if rows:
            await session.execute(
                text(
                    "INSERT INTO plan_line (id, manager_id, company_id, period, start_date,"
                    " end_date, amount, note, status, created_by) VALUES (gen_random_uuid(),"
                    " :manager_id, :company_id, :period, :start_date, :end_date, :amount, '',"
                    " :status, 'test') ON CONFLICT DO NOTHING"
                ),
                rows,
            )


async def plain_shares(planning: httpx.AsyncClient, start: date, end: date) -> list[Any]:
    sessions = planning._transport.app.state.sessions  # type: ignore[attr-defined]
    async with sessions() as session:
        return list(await session.execute(PLAIN, {"start": start, "end": end}))


def plain_sum(shares: list[Any], **where: Any) -> str:
    """The plain computation's sum of the shares matching every `where` (a column: a value or a
    tuple of values)."""
    total = sum(
        (
            row.share
            for row in shares
            if all(
                getattr(row, name) in (wanted if isinstance(wanted, tuple) else (wanted,))
                for name, wanted in where.items()
            )
        ),
        Decimal(0),
    )
    return f"{total:.2f}"


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=plans, window=spans(), shown=spans(KINDS[:5]))
async def test_the_summary_and_the_grid_agree_with_plain_sql(
    planning: httpx.AsyncClient,
    bus: InProcessBus,
    drawn: list[Any],
    window: tuple[str, date, date],
    shown: tuple[str, date, date],
) -> None:
    org = await organisation(planning, bus)  # one database and organisation for every example
    await replace_plans(planning, org, drawn)
    kind, start, end = window
    query = {"period": kind, "start_date": start.isoformat(), "end_date": end.isoformat()}
    if kind != "custom":
        del query["end_date"]
    company = (await planning.get("/api/plans/summary", params=query)).json()
    shares = await plain_shares(planning, start, end)
    for figure, statuses in COUNTED.items():
        assert company[figure] == plain_sum(shares, status=statuses), figure
    for child in company["children"]:
        members = org["groups"][UUID(child["id"])]
        assert child["submitted"] == plain_sum(
            shares, manager_id=members, status=COUNTED["submitted"]
        )

    grid_kind, grid_start, _ = shown
    manager = org["managers"][0]
    params: dict[str, Any] = {"period": grid_kind, "start_date": grid_start.isoformat(), "count": 2}
    grid = (
        await planning.get("/api/plans/grid", params={**params, "manager_id": str(manager)})
    ).json()
    for column, each in enumerate(grid["columns"]):
        first, last = (date.fromisoformat(each[edge]) for edge in ("start_date", "end_date"))
        cut = await plain_shares(planning, first, last)
        assert each["total"] == plain_sum(cut, manager_id=manager)
        for row in grid["rows"]:
            client_id = UUID(row["company_id"])
            assert row["cells"][column]["planned"] == plain_sum(
                cut, manager_id=manager, company_id=client_id
            )
