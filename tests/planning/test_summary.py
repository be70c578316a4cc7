"""Plan against actual and forecast, rolled up from managers through groups to the company."""

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx

from shared.auth import Identity
from shared.bus import InProcessBus
from shared.contracts.deals import DealArchived, DealCreated, DealRestored, DealWon
from shared.contracts.gateway import TeamChanged
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


async def plan(planning: httpx.AsyncClient, who: Identity, company_id: str, amount: str) -> str:
    answer = await planning.post(
        "/api/plans/lines", json=line(who, company_id, amount=amount), headers=identity_headers(who)
    )
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
            message(deal(DealWon, anna, "700", date(2026, 12, 10), 100), "won"),
            message(deal(DealWon, anna, "99", date(2027, 1, 10), 100), "next-month"),
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
    await bus.publish([message(won, "won")])

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
