"""Plan lines over HTTP: planned, submitted, reviewed by the group's head, audited."""

import asyncio
from typing import Any
from uuid import UUID, uuid4

import httpx
from sqlalchemy import text

from shared.auth import Identity
from shared.bus import InProcessBus
from shared.contracts.deals import CompanyCreated
from shared.testing.apps import identity_headers
from shared.testing.people import as_message, user_created
from shared.testing.people import person as a_person

NORTH, SOUTH = uuid4(), uuid4()


async def person(bus: InProcessBus, role: str, team: UUID) -> Identity:
    who = a_person(role, team)
    await bus.publish([user_created(who, team)])
    return who


async def client(bus: InProcessBus, name: str) -> str:
    company_id = uuid4()
    await bus.publish([as_message(CompanyCreated(company_id=company_id, name=name), company_id)])
    return str(company_id)


def line(manager: Identity, company_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "manager_id": manager.user_id,
        "company_id": company_id,
        "period": "month",
        "start_date": "2026-12-01",
        "amount": "1000",
        **fields,
    }


async def test_a_manager_plans_submits_and_the_head_reviews(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    anna, boss = await person(bus, "manager", NORTH), await person(bus, "head", NORTH)
    orlen = await client(bus, "Orlen")

    created = await planning.post(
        "/api/plans/lines", json=line(anna, orlen), headers=identity_headers(anna)
    )
    submitted = await planning.post(
        f"/api/plans/lines/{created.json()['id']}/submit", headers=identity_headers(anna)
    )
    reviewed = await planning.post(
        f"/api/plans/lines/{created.json()['id']}/review",
        json={"decision": "doubtful"},
        headers=identity_headers(boss),
    )

    assert created.status_code == 201, created.text
    assert created.json()["end_date"] == "2026-12-31" and created.json()["amount"] == "1000.00"
    assert (submitted.json()["status"], reviewed.json()["status"]) == ("submitted", "doubtful")
    sessions = planning._transport.app.state.sessions  # type: ignore[attr-defined]
    async with sessions() as session:
        types = (await session.scalars(text("SELECT type FROM outbox ORDER BY id"))).all()
        audit = (
            await session.execute(
                text("SELECT field, old, new FROM plan_change ORDER BY at, field")
            )
        ).all()
    assert types == ["crm.plan.submitted.v1", "crm.plan.reviewed.v1"]
    assert ("status", "submitted", "doubtful") in [tuple(row) for row in audit]


async def test_a_submitted_line_is_locked_and_a_rejected_one_goes_back_to_draft(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    anna, boss = await person(bus, "manager", NORTH), await person(bus, "head", NORTH)
    plan = (
        await planning.post(
            "/api/plans/lines",
            json=line(anna, await client(bus, "Lotos")),
            headers=identity_headers(anna),
        )
    ).json()
    await planning.post(f"/api/plans/lines/{plan['id']}/submit", headers=identity_headers(anna))

    locked = await planning.patch(
        f"/api/plans/lines/{plan['id']}", json={"amount": "5"}, headers=identity_headers(anna)
    )
    no_reason = await planning.post(
        f"/api/plans/lines/{plan['id']}/review",
        json={"decision": "rejected"},
        headers=identity_headers(boss),
    )
    await planning.post(
        f"/api/plans/lines/{plan['id']}/review",
        json={"decision": "rejected", "comment": "za mało"},
        headers=identity_headers(boss),
    )
    changed = await planning.patch(
        f"/api/plans/lines/{plan['id']}", json={"amount": "2000"}, headers=identity_headers(anna)
    )

    assert locked.status_code == 422 and no_reason.json()["detail"][0]["loc"] == ["body", "comment"]
    assert (changed.json()["status"], changed.json()["amount"]) == ("draft", "2000.00")


async def test_who_may_plan_and_review_what(planning: httpx.AsyncClient, bus: InProcessBus) -> None:
    anna, piotr = await person(bus, "manager", NORTH), await person(bus, "manager", SOUTH)
    north_head, south_head = await person(bus, "head", NORTH), await person(bus, "head", SOUTH)
    pkn = await client(bus, "PKN")

    for_piotr = await planning.post(
        "/api/plans/lines", json=line(piotr, pkn), headers=identity_headers(anna)
    )
    mine = (
        await planning.post(
            "/api/plans/lines", json=line(anna, pkn), headers=identity_headers(anna)
        )
    ).json()
    await planning.post(f"/api/plans/lines/{mine['id']}/submit", headers=identity_headers(anna))
    wrong_head = await planning.post(
        f"/api/plans/lines/{mine['id']}/review",
        json={"decision": "approved"},
        headers=identity_headers(south_head),
    )
    seen_by = {
        name: {
            row["id"]
            for row in (
                await planning.get("/api/plans/lines", headers=identity_headers(who))
            ).json()["items"]
        }
        for name, who in (("piotr", piotr), ("north_head", north_head))
    }

    assert for_piotr.status_code == 403
    assert wrong_head.status_code == 404
    assert seen_by == {"piotr": set(), "north_head": {mine["id"]}}


async def test_bad_lines_name_the_field(planning: httpx.AsyncClient, bus: InProcessBus) -> None:
    anna = await person(bus, "manager", NORTH)
    orlen = await client(bus, "Orlen")
    headers = identity_headers(anna)
    await planning.post("/api/plans/lines", json=line(anna, orlen), headers=headers)

    cases = [
        (line(anna, orlen), "company_id", 409),
        (line(anna, str(uuid4())), "company_id", 422),
        (line(anna, orlen, period="week", start_date="2026-12-02"), "start_date", 422),
        (line(anna, orlen, period="custom", start_date="2026-12-02"), "end_date", 422),
        (line(anna, orlen, amount="-1"), "amount", 422),
    ]
    for body, field, code in cases:
        answer = await planning.post("/api/plans/lines", json=body, headers=headers)
        assert answer.status_code == code, (body, answer.text)
        assert answer.json()["detail"][0]["loc"][-1] == field, (body, answer.text)


async def test_only_an_administrator_switches_approval_on(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    anna = await person(bus, "manager", NORTH)

    refused = await planning.put(
        "/api/plans/settings", json={"approval_required": True}, headers=identity_headers(anna)
    )
    switched = await planning.put("/api/plans/settings", json={"approval_required": True})

    assert refused.status_code == 403
    assert switched.json() == {"approval_required": True, "lock_after_days": None}
    assert (await planning.get("/api/plans/settings")).json()["approval_required"] is True


async def test_last_months_plan_is_copied_in_one_step_without_doubling(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    anna = await person(bus, "manager", NORTH)
    orlen, lotos = await client(bus, "Orlen"), await client(bus, "Lotos")
    headers = identity_headers(anna)
    for company_id, amount in ((orlen, "100"), (lotos, "200")):
        body = line(anna, company_id, start_date="2026-11-01", amount=amount)
        await planning.post("/api/plans/lines", json=body, headers=headers)
    await planning.post("/api/plans/lines", json=line(anna, orlen, amount="999"), headers=headers)

    copied = await planning.post(
        "/api/plans/lines/copy",
        json={"manager_id": anna.user_id, "period": "month", "start_date": "2026-12-01"},
        headers=headers,
    )

    assert copied.status_code == 201
    assert [(c["company_id"], c["amount"], c["status"]) for c in copied.json()] == [
        (lotos, "200.00", "draft")
    ]
    december = (
        await planning.get("/api/plans/lines", params={"start_date": "2026-12-01"}, headers=headers)
    ).json()
    assert sorted(item["amount"] for item in december["items"]) == ["200.00", "999.00"]


async def test_a_client_is_planned_at_one_size_per_span(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    anna, piotr = await person(bus, "manager", NORTH), await person(bus, "manager", NORTH)
    orlen, lotos = await client(bus, "Orlen"), await client(bus, "Lotos")
    for month in ("2026-10-01", "2026-11-01", "2026-12-01"):
        body = line(anna, orlen, start_date=month, amount="100")
        await planning.post("/api/plans/lines", json=body, headers=identity_headers(anna))

    quarter = await planning.post(
        "/api/plans/lines",
        json=line(anna, orlen, period="quarter", start_date="2026-10-01"),
        headers=identity_headers(anna),
    )
    custom = line(anna, orlen, period="custom", start_date="2026-12-31", end_date="2027-01-05")
    across = await planning.post("/api/plans/lines", json=custom, headers=identity_headers(anna))
    other_client = await planning.post(
        "/api/plans/lines",
        json=line(anna, lotos, period="quarter", start_date="2026-10-01"),
        headers=identity_headers(anna),
    )
    other_manager = await planning.post(
        "/api/plans/lines",
        json=line(piotr, orlen, period="quarter", start_date="2026-10-01"),
        headers=identity_headers(piotr),
    )

    for refused in (quarter, across):
        assert refused.status_code == 409
        [problem] = refused.json()["detail"]
        assert problem["loc"][-1] == "period" and "one size per span" in problem["msg"]
    assert (other_client.status_code, other_manager.status_code) == (201, 201)


async def test_two_overlapping_lines_sent_at_once_are_not_both_kept(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    anna = await person(bus, "manager", NORTH)
    clients = [await client(bus, f"Klient {n}") for n in range(8)]
    bodies = [
        body
        for company_id in clients
        for body in (
            line(anna, company_id, start_date="2026-12-01"),
            line(anna, company_id, period="week", start_date="2026-12-07"),
        )
    ]

    answers = await asyncio.gather(
        *(
            planning.post("/api/plans/lines", json=body, headers=identity_headers(anna))
            for body in bodies
        )
    )

    kept = {
        (body["company_id"], answer.status_code)
        for body, answer in zip(bodies, answers, strict=True)
    }
    assert kept == {(company_id, code) for company_id in clients for code in (201, 409)}


async def test_copying_skips_a_client_planned_at_another_size(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    anna = await person(bus, "manager", NORTH)
    orlen, lotos = await client(bus, "Orlen"), await client(bus, "Lotos")
    headers = identity_headers(anna)
    for company_id in (orlen, lotos):
        body = line(anna, company_id, start_date="2026-11-01", amount="100")
        await planning.post("/api/plans/lines", json=body, headers=headers)
    weekly = line(anna, lotos, period="week", start_date="2026-12-28")
    await planning.post("/api/plans/lines", json=weekly, headers=headers)

    copied = await planning.post(
        "/api/plans/lines/copy",
        json={"manager_id": anna.user_id, "period": "month", "start_date": "2026-12-01"},
        headers=headers,
    )

    assert [c["company_id"] for c in copied.json()] == [orlen]


async def test_a_lines_history_says_who_changed_what_and_when(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    anna, boss = await person(bus, "manager", NORTH), await person(bus, "head", NORTH)
    piotr = await person(bus, "manager", SOUTH)
    mine = identity_headers(anna)
    created = (
        await planning.post(
            "/api/plans/lines", json=line(anna, await client(bus, "Orlen")), headers=mine
        )
    ).json()
    path = f"/api/plans/lines/{created['id']}"
    await planning.patch(path, json={"amount": "1500", "note": "po rozmowie"}, headers=mine)
    await planning.post(f"{path}/submit", headers=mine)
    review = {"decision": "rejected", "comment": "za dużo"}
    await planning.post(f"{path}/review", json=review, headers=identity_headers(boss))

    history = (await planning.get(f"{path}/history", headers=mine)).json()
    hidden = await planning.get(f"{path}/history", headers=identity_headers(piotr))

    changes = [(c["actor_id"], c["field"], c["old"], c["new"]) for c in history]
    assert changes == [
        (boss.user_id, "review_comment", None, "za dużo"),
        (boss.user_id, "status", "submitted", "rejected"),
        (anna.user_id, "status", "draft", "submitted"),
        (anna.user_id, "amount", "1000.00", "1500.00"),
        (anna.user_id, "note", "", "po rozmowie"),
        (anna.user_id, "amount", None, "1000.00"),
        (anna.user_id, "status", None, "draft"),
    ]
    assert history[0]["actor_name"] == f"head {boss.user_id[:4]}" and history[0]["at"]
    assert hidden.status_code == 404
