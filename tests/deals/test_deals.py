"""Deals over HTTP on a real PostgreSQL: stage requirements nobody can get around, the audit trail."""

from typing import Any
from uuid import uuid4

import httpx
import pytest
from sqlalchemy import text

from shared.bus import InProcessBus
from shared.contracts.calendar import ActivityCompleted
from shared.testing.people import as_message
from tests.deals.conftest import NORTH, SOUTH, company, headers, pipeline, stage


async def new_deal(
    deals: httpx.AsyncClient, headers: dict[str, str] | None = None, **fields: Any
) -> dict[str, Any]:
    body = {
        "title": "Linia pakująca",
        "company_id": fields.pop("company_id", None) or await company(deals),
        **fields,
    }
    answer = await deals.post("/api/deals", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def test_the_default_pipeline_is_there_from_the_start(deals: httpx.AsyncClient) -> None:
    default = await pipeline(deals)

    assert default["is_default"] is True
    assert [s["kind"] for s in default["stages"]] == ["open", "open", "open", "open", "won", "lost"]
    assert stage(default, "Commercial offer sent")["required_fields"] == ["amount"]


async def test_a_new_deal_starts_in_the_first_stage_with_its_probability(
    deals: httpx.AsyncClient,
) -> None:
    deal = await new_deal(deals)

    first = (await pipeline(deals))["stages"][0]
    assert (deal["stage_id"], deal["probability"], deal["currency"]) == (
        first["id"],
        first["probability"],
        "PLN",
    )


async def test_moving_into_a_gated_stage_names_every_missing_field_and_succeeds_once_filled(
    deals: httpx.AsyncClient,
) -> None:
    await deals.post(
        "/api/fields",
        json={
            "record_type": "deal",
            "key": "decision_maker",
            "label": "Decision maker",
            "type": "text",
        },
    )
    default = await pipeline(deals)
    offer = stage(default, "Commercial offer sent")
    await deals.put(
        f"/api/pipelines/{default['id']}/stages/{offer['id']}/requirements",
        json={"fields": ["amount", "expected_close_date", "decision_maker"], "document": True},
    )
    deal = await new_deal(deals)

    refused = await deals.patch(f"/api/deals/{deal['id']}", json={"stage_id": offer["id"]})
    before = await deals.get(
        f"/api/deals/{deal['id']}/requirements", params={"stage_id": offer["id"]}
    )
    moved = await deals.patch(
        f"/api/deals/{deal['id']}",
        json={
            "stage_id": offer["id"],
            "amount": "120000.00",
            "expected_close_date": "2099-03-31",
            "custom": {"decision_maker": "Jan Kowalski"},
        },
    )

    assert refused.status_code == 422
    assert [(e["loc"][-1], e["type"]) for e in refused.json()["detail"]] == [
        ("amount", "missing_field"),
        ("expected_close_date", "missing_field"),
        ("decision_maker", "missing_field"),
        ("documents", "document_required"),
    ]
    assert before.json()["ready"] is False and len(before.json()["unmet"]) == 4
    assert moved.status_code == 422  # the document is still missing
    assert [e["type"] for e in moved.json()["detail"]] == ["document_required"]
    await deals.post(
        f"/api/deals/{deal['id']}/documents",
        json={"title": "Oferta", "url": "https://docs.example.pl/oferta.pdf"},
    )
    moved = await deals.patch(
        f"/api/deals/{deal['id']}",
        json={
            "stage_id": offer["id"],
            "amount": "120000.00",
            "expected_close_date": "2099-03-31",
            "custom": {"decision_maker": "Jan Kowalski"},
        },
    )
    assert moved.status_code == 200, moved.text
    assert (
        moved.json()["stage_id"] == offer["id"]
        and moved.json()["probability"] == offer["probability"]
    )


async def test_a_refused_move_changes_nothing(deals: httpx.AsyncClient) -> None:
    default = await pipeline(deals)
    deal = await new_deal(deals)

    await deals.patch(
        f"/api/deals/{deal['id']}",
        json={"stage_id": stage(default, "Won")["id"], "title": "Changed"},
    )

    after = (await deals.get(f"/api/deals/{deal['id']}")).json()
    assert (after["title"], after["stage_id"]) == (deal["title"], deal["stage_id"])


async def test_the_message_comes_in_the_callers_language(deals: httpx.AsyncClient) -> None:
    from shared.testing.apps import ADMIN, identity_headers

    default = await pipeline(deals)
    deal = await new_deal(deals)
    polish = identity_headers(ADMIN.model_copy(update={"locale": "pl"}))

    refused = await deals.patch(
        f"/api/deals/{deal['id']}", json={"stage_id": stage(default, "Won")["id"]}, headers=polish
    )

    assert refused.json()["detail"][0]["msg"] == "uzupełnij to pole przed przejściem do tego etapu"


async def test_won_needs_amount_and_close_date_and_lost_needs_a_listed_reason(
    deals: httpx.AsyncClient,
) -> None:
    default = await pipeline(deals)
    won, lost = stage(default, "Won")["id"], stage(default, "Lost")["id"]
    deal = await new_deal(deals)

    no_reason = await deals.patch(f"/api/deals/{deal['id']}", json={"stage_id": lost})
    odd_reason = await deals.patch(
        f"/api/deals/{deal['id']}", json={"stage_id": lost, "lost_reason": "Weather"}
    )
    lost_ok = await deals.patch(
        f"/api/deals/{deal['id']}", json={"stage_id": lost, "lost_reason": "Price"}
    )
    other = await new_deal(deals)
    won_ok = await deals.patch(
        f"/api/deals/{other['id']}",
        json={"stage_id": won, "amount": "5000", "expected_close_date": "2026-12-31"},
    )

    assert [e["type"] for e in no_reason.json()["detail"]] == ["lost_reason_required"]
    assert [e["type"] for e in odd_reason.json()["detail"]] == ["lost_reason_unknown"]
    assert lost_ok.status_code == won_ok.status_code == 200
    sessions = deals._transport.app.state.sessions  # type: ignore[attr-defined]
    async with sessions() as session:
        rows = (
            await session.execute(
                text("SELECT type, envelope FROM outbox WHERE type LIKE 'crm.deal.%' ORDER BY id")
            )
        ).all()
    won_event = next(envelope["data"] for type_, envelope in rows if type_ == "crm.deal.won.v1")
    assert (won_event["amount"], won_event["currency"], won_event["expected_close_date"]) == (
        "5000.00",
        "PLN",
        "2026-12-31",
    )
    assert won_event["owner_id"] and won_event["company_id"] == other["company_id"]
    assert won_event["company_name"] == "Kowalski sp. z o.o."
    assert "crm.deal.lost.v1" in [type_ for type_, _ in rows]


async def test_a_bulk_move_is_refused_whole_when_one_deal_lacks_a_field(
    deals: httpx.AsyncClient,
) -> None:
    default = await pipeline(deals)
    offer = stage(default, "Commercial offer sent")
    await deals.put(
        f"/api/pipelines/{default['id']}/stages/{offer['id']}/requirements",
        json={"fields": ["amount"]},
    )
    ready = await new_deal(deals, amount="1000")
    lacking = await new_deal(deals)

    answer = await deals.post(
        "/api/deals/bulk-move",
        json={"deal_ids": [ready["id"], lacking["id"]], "stage_id": offer["id"]},
    )

    assert answer.status_code == 422
    assert [e["loc"] for e in answer.json()["detail"]] == [
        ["body", "deal_ids", lacking["id"], "amount"]
    ]
    assert (await deals.get(f"/api/deals/{ready['id']}")).json()["stage_id"] != offer["id"]
    moved = await deals.post(
        "/api/deals/bulk-move", json={"deal_ids": [ready["id"]], "stage_id": offer["id"]}
    )
    assert moved.status_code == 200 and moved.json()[0]["stage_id"] == offer["id"]


async def test_stage_and_field_changes_appear_on_the_timeline_with_old_and_new(
    deals: httpx.AsyncClient,
) -> None:
    default = await pipeline(deals)
    deal = await new_deal(deals, amount="1000.00")

    await deals.patch(
        f"/api/deals/{deal['id']}",
        json={"amount": "1500.00", "stage_id": default["stages"][1]["id"]},
    )

    entries = (await deals.get(f"/api/deals/{deal['id']}/timeline")).json()
    kinds = {entry["kind"]: entry for entry in entries}
    assert kinds["field_changed"]["data"] == {"field": "amount", "old": "1000.00", "new": "1500.00"}
    assert kinds["stage_changed"]["data"]["from"] == "Qualification"
    assert kinds["stage_changed"]["data"]["to"] == "Needs analysis"
    assert kinds["created"]["actor_id"] == kinds["stage_changed"]["actor_id"]


async def test_an_outcome_report_lands_on_the_timelines_and_opens_a_gated_stage(
    deals: httpx.AsyncClient, bus: InProcessBus
) -> None:
    default = await pipeline(deals)
    negotiation = stage(default, "Negotiation")
    await deals.put(
        f"/api/pipelines/{default['id']}/stages/{negotiation['id']}/requirements",
        json={"completed_activity": True},
    )
    deal = await new_deal(deals)
    refused = await deals.patch(f"/api/deals/{deal['id']}", json={"stage_id": negotiation["id"]})
    report = ActivityCompleted(
        activity_id=uuid4(),
        kind="meeting",
        title="Spotkanie u klienta",
        owner_id=uuid4(),
        deal_id=deal["id"],
        result="completed",
        note="Klient chce rabat 5%.",
        completed_at="2026-11-27T10:00:00Z",
    )

    await bus.publish([as_message(report, report.activity_id)] * 2)  # delivered twice: one entry

    outcomes = [
        e
        for e in (await deals.get(f"/api/deals/{deal['id']}/timeline")).json()
        if e["kind"] == "outcome"
    ]
    on_company = [
        e
        for e in (await deals.get(f"/api/companies/{deal['company_id']}/timeline")).json()
        if e["kind"] == "outcome"
    ]
    assert refused.json()["detail"][0]["type"] == "completed_activity_required"
    assert len(outcomes) == len(on_company) == 1
    assert outcomes[0]["data"]["note"] == "Klient chce rabat 5%."
    assert (
        await deals.patch(f"/api/deals/{deal['id']}", json={"stage_id": negotiation["id"]})
    ).status_code == 200


async def test_managers_see_their_own_deals_and_heads_their_groups(
    deals: httpx.AsyncClient, hire: Any
) -> None:
    anna, piotr, boss = (
        await hire("manager", NORTH),
        await hire("manager", SOUTH),
        await hire("head", NORTH),
    )
    place = await company(deals)
    annas = await new_deal(deals, company_id=place, headers=headers(anna))
    piotrs = await new_deal(deals, company_id=place, headers=headers(piotr))

    def ids(page: httpx.Response) -> set[str]:
        return {deal["id"] for deal in page.json()["items"]}

    assert ids(await deals.get("/api/deals", headers=headers(anna))) == {annas["id"]}
    assert (await deals.get(f"/api/deals/{piotrs['id']}", headers=headers(anna))).status_code == 404
    assert (
        await deals.patch(
            f"/api/deals/{piotrs['id']}", json={"title": "Mine"}, headers=headers(anna)
        )
    ).status_code == 404
    assert ids(await deals.get("/api/deals", headers=headers(boss))) == {annas["id"]}
    assert ids(await deals.get("/api/deals")) >= {annas["id"], piotrs["id"]}  # the admin


async def test_only_heads_and_admins_reassign_and_a_head_only_within_the_group(
    deals: httpx.AsyncClient, hire: Any
) -> None:
    anna, ola, piotr, boss = (
        await hire("manager", NORTH),
        await hire("manager", NORTH),
        await hire("manager", SOUTH),
        await hire("head", NORTH),
    )
    deal = await new_deal(deals, headers=headers(anna))

    by_manager = await deals.patch(
        f"/api/deals/{deal['id']}", json={"owner_id": ola.user_id}, headers=headers(anna)
    )
    outside = await deals.patch(
        f"/api/deals/{deal['id']}", json={"owner_id": piotr.user_id}, headers=headers(boss)
    )
    inside = await deals.patch(
        f"/api/deals/{deal['id']}", json={"owner_id": ola.user_id}, headers=headers(boss)
    )

    assert (by_manager.status_code, outside.status_code, inside.status_code) == (403, 403, 200)
    assert inside.json()["owner_id"] == ola.user_id


async def test_deals_filter_and_page(deals: httpx.AsyncClient) -> None:
    place = await company(deals)
    for amount in ("100", "200", "300", "400", "500"):
        await new_deal(deals, company_id=place, amount=amount)

    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {
            "company_id": place,
            "amount_min": "200",
            "amount_max": "400",
            "limit": 2,
            **({"cursor": cursor} if cursor else {}),
        }
        page = (await deals.get("/api/deals", params=params)).json()
        seen += [deal["amount"] for deal in page["items"]]
        if not (cursor := page["next_cursor"]):
            break

    assert seen == ["400.00", "300.00", "200.00"]


async def test_bad_input_names_the_field(deals: httpx.AsyncClient) -> None:
    place = await company(deals)
    cases = [
        ({"title": "X", "company_id": place, "amount": "-1"}, "amount"),
        ({"title": "X", "company_id": place, "currency": "zł"}, "currency"),
        ({"title": "X", "company_id": str(uuid4())}, "company_id"),
        ({"title": "X", "company_id": place, "stage_id": str(uuid4())}, "stage_id"),
        ({"title": "X", "company_id": place, "custom": {"nope": 1}}, "custom.nope"),
        ({"company_id": place}, "title"),
    ]
    for body, field in cases:
        answer = await deals.post("/api/deals", json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert field in [str(e["loc"][-1]) for e in answer.json()["detail"]], (body, answer.text)


async def test_a_manager_cannot_open_a_deal_in_someone_elses_name(
    deals: httpx.AsyncClient, hire: Any
) -> None:
    anna, ola = await hire("manager", NORTH), await hire("manager", NORTH)
    place = await company(deals)

    for_ola = await deals.post(
        "/api/deals",
        json={"title": "x", "company_id": place, "owner_id": ola.user_id},
        headers=headers(anna),
    )
    for_nobody = await deals.post(
        "/api/deals", json={"title": "x", "company_id": place, "owner_id": str(uuid4())}
    )

    assert for_ola.status_code == 403
    assert for_nobody.status_code == 422 and for_nobody.json()["detail"][0]["loc"] == [
        "body",
        "owner_id",
    ]


async def test_deals_sort_by_title_both_ways_across_pages(deals: httpx.AsyncClient) -> None:
    place = await company(deals)
    for title in ("Delta", "alfa", "Charlie", "Bravo"):
        await new_deal(deals, company_id=place, title=title)

    async def titles(sort: str) -> list[str]:
        seen: list[str] = []
        params: dict[str, Any] = {"company_id": place, "sort": sort, "limit": 3}
        while True:
            page = (await deals.get("/api/deals", params=params)).json()
            seen += [deal["title"] for deal in page["items"]]
            if not page["next_cursor"]:
                return seen
            params["cursor"] = page["next_cursor"]

    ascending = await titles("title")

    assert ascending == sorted(ascending) and len(ascending) == 4
    assert await titles("-title") == list(reversed(ascending))
    wrong = await deals.get("/api/deals", params={"sort": "amount; drop table deal"})
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["query", "sort"]


async def test_the_administrator_adds_and_renames_stages(
    deals: httpx.AsyncClient, hire: Any
) -> None:
    default = await pipeline(deals)
    anna = await hire("manager", NORTH)

    added = await deals.post(
        f"/api/pipelines/{default['id']}/stages",
        json={"name": "Contract review", "probability": 90},
    )
    renamed = await deals.patch(
        f"/api/pipelines/{default['id']}/stages/{default['stages'][0]['id']}", json={"name": "Lead"}
    )
    twice = await deals.post(
        f"/api/pipelines/{default['id']}/stages", json={"name": "lead", "probability": 5}
    )
    by_manager = await deals.patch(
        f"/api/pipelines/{default['id']}/stages/{default['stages'][0]['id']}",
        json={"name": "X"},
        headers=headers(anna),
    )

    names = [s["name"] for s in (await pipeline(deals))["stages"]]
    assert added.status_code == 201 and renamed.status_code == 200
    assert names == [
        "Lead",
        "Needs analysis",
        "Commercial offer sent",
        "Negotiation",
        "Contract review",
        "Won",
        "Lost",
    ]
    assert twice.status_code == 409 and by_manager.status_code == 403


async def test_a_deal_links_known_contacts_only(deals: httpx.AsyncClient) -> None:
    place = await company(deals)
    contact = (await deals.post("/api/contacts", json={"name": "Jan", "company_id": place})).json()

    linked = await new_deal(deals, company_id=place, contact_ids=[contact["id"]])
    unknown = await deals.post(
        "/api/deals",
        json={"title": "x", "company_id": place, "contact_ids": [contact["id"], str(uuid4())]},
    )

    assert linked["contact_ids"] == [contact["id"]]
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "contact_ids"]


async def test_a_lost_reason_is_one_from_the_list_for_a_lost_deal_only(
    deals: httpx.AsyncClient,
) -> None:
    default = await pipeline(deals)
    deal = await new_deal(deals)
    path = f"/api/deals/{deal['id']}"

    on_an_open_deal = await deals.patch(path, json={"lost_reason": "Price"})
    lost = await deals.patch(
        path, json={"stage_id": stage(default, "Lost")["id"], "lost_reason": "Price"}
    )
    unlisted = await deals.patch(path, json={"lost_reason": "not in the list"})
    listed = await deals.patch(path, json={"lost_reason": "No budget"})

    assert on_an_open_deal.status_code == 422
    assert on_an_open_deal.json()["detail"][0]["loc"][-1] == "lost_reason"
    assert lost.status_code == 200, lost.text
    assert unlisted.status_code == 422 and "from the list" in unlisted.text
    assert listed.status_code == 200 and listed.json()["lost_reason"] == "No budget"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "XYZ"}, "currency"),
        ({"expected_close_date": "0001-01-01"}, "expected_close_date"),
    ],
)
async def test_a_made_up_currency_or_a_date_beyond_the_calendar_is_refused(
    deals: httpx.AsyncClient, change: dict[str, str], field: str
) -> None:
    deal = await new_deal(deals)

    answer = await deals.patch(f"/api/deals/{deal['id']}", json=change)

    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == field


async def test_the_administrator_reorders_the_open_stages_and_won_and_lost_stay_last(
    deals: httpx.AsyncClient, hire: Any
) -> None:
    default = await pipeline(deals)
    names = [s["name"] for s in default["stages"]]
    opened = [s for s in default["stages"] if s["kind"] == "open"]
    added = await deals.post(
        f"/api/pipelines/{default['id']}/stages",
        json={"name": "Proposal review", "probability": 60},
    )
    review = added.json()
    path = f"/api/pipelines/{default['id']}/stages/order"
    wanted = [opened[0]["id"], opened[1]["id"], review["id"], *(s["id"] for s in opened[2:])]
    anna = await hire("manager", NORTH)

    by_a_manager = await deals.put(path, json={"stage_ids": wanted}, headers=headers(anna))
    missing_one = await deals.put(path, json={"stage_ids": wanted[:-1]})
    twice = await deals.put(path, json={"stage_ids": [*wanted[:-1], wanted[0]]})
    ordered = await deals.put(path, json={"stage_ids": wanted})

    assert added.status_code == 201 and names[-2:] == ["Won", "Lost"]
    assert by_a_manager.status_code == 403
    assert missing_one.status_code == twice.status_code == 422
    assert ordered.status_code == 200, ordered.text
    now = [s["name"] for s in (await pipeline(deals))["stages"]]
    assert now == [*names[:2], "Proposal review", *names[2:]]
    assert [s["position"] for s in ordered.json()] == list(range(1, len(now) + 1))
