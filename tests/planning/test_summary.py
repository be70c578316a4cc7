"""Plan against actual and forecast, rolled up from managers through groups to the company."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx

from shared.auth import Identity
from shared.bus import InProcessBus, Message
from shared.contracts.deals import (
    DealArchived,
    DealCreated,
    DealRestored,
    DealSnapshot,
    DealStageChanged,
    DealUpdated,
    DealWon,
)
from shared.contracts.gateway import TeamChanged
from shared.events import new_event
from shared.testing.apps import identity_headers
from shared.testing.people import as_message as message
from tests.planning.test_lines import client, line, person

COMPANY, NORTH = uuid4(), uuid4()
DECEMBER = {"period": "month", "start_date": "2026-12-01"}


async def tree(bus: InProcessBus) -> None:
    await bus.publish(
        [
            message(
                TeamChanged(team_id=COMPANY, name="Firma", parent_id=None, head_id=None), COMPANY
            ),
            message(
                TeamChanged(team_id=NORTH, name="Północ", parent_id=COMPANY, head_id=None), NORTH
            ),
        ]
    )


def deal(
    kind: type[DealCreated] | type[DealWon],
    owner: Identity,
    amount: str,
    close: date,
    probability: int,
) -> DealCreated | DealWon:
    return kind(
        deal_id=uuid4(),
        title="x",
        company_id=uuid4(),
        owner_id=UUID(owner.user_id),
        amount=Decimal(amount),
        currency="PLN",
        expected_close_date=close,
        pipeline_id=uuid4(),
        stage_id=uuid4(),
        stage_kind="won" if kind is DealWon else "open",
        probability=probability,
    )


def at(data: DealSnapshot, time: datetime) -> Message:
    """A deal event as deals would have sent it at `time`."""
    event = new_event(data, subject=data.deal_id, time=time)
    return Message(topic=data.topic, key=str(data.deal_id), envelope=event.model_dump(mode="json"))


WON_IN_DECEMBER = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)


async def plan(planning: httpx.AsyncClient, who: Identity, company_id: str, amount: str) -> str:
    return await plan_body(planning, who, line(who, company_id, amount=amount))


async def plan_body(planning: httpx.AsyncClient, who: Identity, body: dict[str, Any]) -> str:
    """A line planned and submitted by `who`; its id."""
    answer = await planning.post("/api/plans/lines", json=body, headers=identity_headers(who))
    assert answer.status_code == 201, answer.text
    line_id = str(answer.json()["id"])
    await planning.post(f"/api/plans/lines/{line_id}/submit", headers=identity_headers(who))
    return line_id


async def own_figures(planning: httpx.AsyncClient, who: Identity) -> dict[str, Any]:
    """The manager's own December figures, as the manager asks for them."""
    answer = await planning.get(
        "/api/plans/summary", params={**DECEMBER, "scope": "manager"}, headers=identity_headers(who)
    )
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def test_a_doubtful_line_counts_in_submitted_but_not_final_at_every_level(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    await tree(bus)
    anna, boss = await person(bus, "manager", NORTH), await person(bus, "head", NORTH)
    await planning.put("/api/plans/settings", json={"approval_required": True})
    approved = await plan(planning, anna, await client(bus, "Orlen"), "1000")
    doubtful = await plan(planning, anna, await client(bus, "Lotos"), "400")
    for line_id, decision in ((approved, "approved"), (doubtful, "doubtful")):
        await planning.post(
            f"/api/plans/lines/{line_id}/review",
            json={"decision": decision},
            headers=identity_headers(boss),
        )
    await bus.publish(
        [
            at(deal(DealWon, anna, "700", date(2026, 12, 10), 100), WON_IN_DECEMBER),
            at(
                deal(DealWon, anna, "99", date(2026, 12, 10), 100), datetime(2027, 1, 4, tzinfo=UTC)
            ),
            message(deal(DealCreated, anna, "1000", date(2026, 12, 20), 30), "open"),
        ]
    )

    company = (
        await planning.get("/api/plans/summary", params={**DECEMBER, "scope": "company"})
    ).json()
    group = (
        await planning.get(
            "/api/plans/summary", params={**DECEMBER, "scope": "team", "id": str(NORTH)}
        )
    ).json()
    mine = await own_figures(planning, anna)

    for level in (company, group, mine):
        assert (level["submitted"], level["final"], level["actual"], level["forecast"]) == (
            "1400.00",
            "1000.00",
            "700.00",
            "300.00",
        )
    assert [child["name"] for child in company["children"]] == ["Północ"]
    people = {child["id"] for child in group["children"] if child["scope"] == "manager"}
    assert people == {anna.user_id, boss.user_id}


async def test_a_manager_may_not_read_the_company_figures(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    await tree(bus)
    anna = await person(bus, "manager", NORTH)

    answer = await planning.get(
        "/api/plans/summary",
        params={**DECEMBER, "scope": "company"},
        headers=identity_headers(anna),
    )

    assert answer.status_code == 403


async def test_a_period_that_does_not_fit_is_a_422(planning: httpx.AsyncClient) -> None:
    answer = await planning.get(
        "/api/plans/summary", params={"period": "week", "start_date": "2026-12-02"}
    )

    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == [
        "query",
        "start_date",
    ]


async def test_a_managers_figures_drill_down_to_each_client(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    await tree(bus)
    anna = await person(bus, "manager", NORTH)
    orlen, lotos = await client(bus, "Orlen"), await client(bus, "Lotos")
    await plan(planning, anna, orlen, "1000")
    draft = line(anna, lotos, amount="250")
    await planning.post("/api/plans/lines", json=draft, headers=identity_headers(anna))
    won = deal(DealWon, anna, "700", date(2026, 12, 10), 100).model_copy(
        update={"company_id": UUID(lotos)}
    )
    await bus.publish([at(won, WON_IN_DECEMBER)])

    mine = await own_figures(planning, anna)

    assert [(c["scope"], c["name"], c["submitted"], c["actual"]) for c in mine["children"]] == [
        ("client", "Lotos", "0.00", "700.00"),
        ("client", "Orlen", "1000.00", "0.00"),
    ]
    assert (mine["submitted"], mine["final"], mine["actual"]) == ("1000.00", "1000.00", "700.00")


async def test_with_approval_off_only_drafts_and_rejected_lines_stay_out(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    await tree(bus)
    anna, boss = await person(bus, "manager", NORTH), await person(bus, "head", NORTH)
    amounts = {"approved": "1", "doubtful": "20", "submitted": "300", "rejected": "4000"}
    for decision, amount in amounts.items():
        line_id = await plan(planning, anna, await client(bus, decision), amount)
        if decision != "submitted":
            review = {"decision": decision, "comment": "why"}
            await planning.post(
                f"/api/plans/lines/{line_id}/review", json=review, headers=identity_headers(boss)
            )
    draft = line(anna, await client(bus, "draft"), amount="50000")
    await planning.post("/api/plans/lines", json=draft, headers=identity_headers(anna))

    company = (await planning.get("/api/plans/summary", params=DECEMBER)).json()

    assert (company["submitted"], company["final"]) == ("321.00", "321.00")


async def actual_and_forecast(planning: httpx.AsyncClient, start: str) -> tuple[str, str]:
    answer = await planning.get(
        "/api/plans/summary", params={"period": "month", "start_date": start}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["actual"], answer.json()["forecast"]


async def test_a_deal_is_actual_revenue_on_the_company_day_it_was_won_until_it_is_reopened(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    await tree(bus)
    anna = await person(bus, "manager", NORTH)
    closing_in_march = deal(DealWon, anna, "700", date(2027, 3, 31), 100)
    snapshot = closing_in_march.model_dump()
    moved = DealStageChanged(**snapshot, from_stage_id=uuid4())
    after_midnight_in_warsaw = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    await bus.publish(
        [at(moved, after_midnight_in_warsaw), at(closing_in_march, after_midnight_in_warsaw)]
    )
    await bus.publish([at(DealUpdated(**snapshot), datetime(2027, 1, 5, tzinfo=UTC))])

    won = [
        await actual_and_forecast(planning, month)
        for month in ("2026-11-01", "2026-12-01", "2027-03-01")
    ]
    reopened = {**snapshot, "stage_kind": "open", "probability": 50}
    await bus.publish(
        [at(DealStageChanged(**reopened, from_stage_id=uuid4()), datetime(2027, 1, 6, tzinfo=UTC))]
    )
    late_copy = at(
        DealWon(**snapshot), datetime(2026, 12, 2, tzinfo=UTC)
    )  # an old one, redelivered
    await bus.publish([late_copy])

    assert won == [("0.00", "0.00"), ("700.00", "0.00"), ("0.00", "0.00")]
    assert await actual_and_forecast(planning, "2026-12-01") == ("0.00", "0.00")
    assert await actual_and_forecast(planning, "2027-03-01") == ("0.00", "350.00")


async def figures(planning: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    answer = await planning.get("/api/plans/summary", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def test_three_months_of_100_make_a_quarter_of_300_at_every_scope(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    await tree(bus)
    anna = await person(bus, "manager", NORTH)
    orlen = await client(bus, "Orlen")
    for month in ("2026-10-01", "2026-11-01", "2026-12-01"):
        created = await planning.post(
            "/api/plans/lines",
            json=line(anna, orlen, start_date=month, amount="100"),
            headers=identity_headers(anna),
        )
        await planning.post(
            f"/api/plans/lines/{created.json()['id']}/submit", headers=identity_headers(anna)
        )
    quarter = {"period": "quarter", "start_date": "2026-10-01"}

    levels = [
        await figures(planning, **quarter, scope="company"),
        await figures(planning, **quarter, scope="team", id=str(NORTH)),
        mine := await figures(planning, **quarter, scope="manager", id=anna.user_id),
        mine["children"][0],
        await figures(planning, period="year", start_date="2026-01-01"),
    ]

    assert [(level["submitted"], level["prorated"]) for level in levels] == [("300.00", False)] * 5


async def test_a_week_across_two_months_counts_in_each_by_its_days(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    await tree(bus)
    anna = await person(bus, "manager", NORTH)
    week = line(anna, await client(bus, "Orlen"), period="week", start_date="2026-11-30")
    await plan_body(planning, anna, {**week, "amount": "100"})

    november, december, the_week = (
        await figures(planning, period="month", start_date="2026-11-01"),
        await figures(planning, period="month", start_date="2026-12-01"),
        await figures(planning, period="week", start_date="2026-11-30"),
    )

    assert (november["submitted"], november["prorated"]) == ("14.29", True)
    assert (december["submitted"], december["prorated"]) == ("85.71", True)
    assert (the_week["submitted"], the_week["prorated"]) == ("100.00", False)
    custom = await figures(
        planning, period="custom", start_date="2026-12-05", end_date="2026-12-31"
    )
    assert custom["submitted"] == "28.57"


async def test_an_archived_deal_leaves_actual_and_forecast_and_comes_back_when_restored(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    await tree(bus)
    anna = await person(bus, "manager", NORTH)
    won = deal(DealWon, anna, "700", date(2026, 12, 10), 100)
    open_ = deal(DealCreated, anna, "1000", date(2026, 12, 20), 30)
    await bus.publish([message(won, "won"), message(open_, "open")])

    await bus.publish(
        [
            message(DealArchived(**{**won.model_dump(), "archived": True}), "won"),
            message(DealArchived(**{**open_.model_dump(), "archived": True}), "open"),
        ]
    )
    archived = await own_figures(planning, anna)
    await bus.publish([message(DealRestored(**open_.model_dump()), "open")])
    restored = await own_figures(planning, anna)

    assert (Decimal(archived["actual"]), Decimal(archived["forecast"])) == (Decimal(0), Decimal(0))
    assert (Decimal(restored["actual"]), Decimal(restored["forecast"])) == (
        Decimal(0),
        Decimal(300),
    )


async def test_only_deals_in_the_base_currency_count_before_and_after_the_settings_are_made(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    await tree(bus)
    anna = await person(bus, "manager", NORTH)
    in_zloty = deal(DealWon, anna, "700", date(2026, 12, 10), 100)
    in_euro = deal(DealWon, anna, "50", date(2026, 12, 10), 100).model_copy(
        update={"deal_id": uuid4(), "currency": "EUR"}
    )
    await bus.publish([at(in_zloty, WON_IN_DECEMBER), at(in_euro, WON_IN_DECEMBER)])

    assert (await own_figures(planning, anna))["actual"] == "700.00"  # no settings row yet
    made = await planning.put("/api/plans/settings", json={"lock_after_days": 10})
    assert made.status_code == 200, made.text
    assert (await own_figures(planning, anna))["actual"] == "700.00"
