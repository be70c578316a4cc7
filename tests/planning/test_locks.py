"""Locked periods over HTTP: after the deadline, or locked by the administrator, a period's plan
is frozen for managers and heads; the administrator may still change it, and it is audited."""

from typing import Any

import httpx
from sqlalchemy import text

from shared.auth import Identity
from shared.bus import InProcessBus
from shared.testing.apps import identity_headers
from tests.planning.test_lines import NORTH, client, line, person

JANUARY_2025 = {"period": "month", "start_date": "2025-01-01"}


async def plan_line(planning: httpx.AsyncClient, who: Identity, body: dict[str, Any]) -> str:
    answer = await planning.post("/api/plans/lines", json=body, headers=identity_headers(who))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def refused_for_the_period(answer: httpx.Response) -> bool:
    return answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "start_date"]


async def test_after_the_deadline_only_the_administrator_changes_the_plan(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    anna, boss = await person(bus, "manager", NORTH), await person(bus, "head", NORTH)
    orlen, lotos = await client(bus, "Orlen"), await client(bus, "Lotos")
    old = line(anna, orlen, **JANUARY_2025)
    first, second = (
        await plan_line(planning, anna, old),
        await plan_line(planning, anna, line(anna, lotos, **JANUARY_2025)),
    )
    await planning.put("/api/plans/settings", json={"lock_after_days": 10})
    as_anna, as_boss = identity_headers(anna), identity_headers(boss)

    refusals = [
        await planning.post("/api/plans/lines", json={**old, "amount": "5"}, headers=as_anna),
        await planning.patch(f"/api/plans/lines/{first}", json={"amount": "5"}, headers=as_anna),
        await planning.patch(f"/api/plans/lines/{first}", json={"amount": "5"}, headers=as_boss),
        await planning.post(f"/api/plans/lines/{first}/submit", headers=as_anna),
        await planning.delete(f"/api/plans/lines/{second}", headers=as_anna),
        await planning.post(
            "/api/plans/lines/copy",
            json={"manager_id": anna.user_id, "period": "month", "start_date": "2025-02-01"},
            headers=as_anna,
        ),
    ]
    by_admin = await planning.patch(f"/api/plans/lines/{first}", json={"amount": "7"})
    still_open = await planning.post("/api/plans/lines", json=line(anna, orlen), headers=as_anna)

    assert [refused_for_the_period(answer) for answer in refusals] == [True] * 6
    assert "deadline" in refusals[1].json()["detail"][0]["msg"]
    assert (by_admin.status_code, by_admin.json()["amount"]) == (200, "7.00")
    assert still_open.status_code == 201
    sessions = planning._transport.app.state.sessions  # type: ignore[attr-defined]
    async with sessions() as session:
        audit = (
            await session.execute(
                text("SELECT actor_id, old, new FROM plan_change WHERE field = 'amount'")
            )
        ).all()
    assert ("00000000-0000-0000-0000-0000000000aa", "1000.00", "7.00") in [
        tuple(row) for row in audit
    ]


async def test_a_locked_month_freezes_its_weeks_until_the_administrator_unlocks_it(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    anna = await person(bus, "manager", NORTH)
    orlen = await client(bus, "Orlen")
    december = {"period": "month", "start_date": "2026-12-01"}
    week = line(anna, orlen, period="week", start_date="2026-12-07")

    refused_lock = await planning.post(
        "/api/plans/locks", json=december, headers=identity_headers(anna)
    )
    locked = await planning.post("/api/plans/locks", json=december)
    twice = await planning.post("/api/plans/locks", json=december)
    in_week = await planning.post("/api/plans/lines", json=week, headers=identity_headers(anna))
    in_january = await planning.post(
        "/api/plans/lines",
        json=line(anna, orlen, start_date="2027-01-01"),
        headers=identity_headers(anna),
    )
    listed = (await planning.get("/api/plans/locks")).json()["items"]
    unlocked = await planning.delete("/api/plans/locks", params=december)
    again = await planning.delete("/api/plans/locks", params=december)
    after = await planning.post("/api/plans/lines", json=week, headers=identity_headers(anna))

    assert refused_lock.status_code == 403
    assert (locked.status_code, locked.json()["end_date"]) == (201, "2026-12-31")
    assert twice.status_code == 409
    assert refused_for_the_period(in_week) and "locked" in in_week.json()["detail"][0]["msg"]
    assert in_january.status_code == 201
    assert [(lock["period"], lock["start_date"]) for lock in listed] == [("month", "2026-12-01")]
    assert (unlocked.status_code, again.status_code, after.status_code) == (204, 404, 201)


async def test_a_head_still_reviews_what_was_submitted_before_the_lock(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    anna, boss = await person(bus, "manager", NORTH), await person(bus, "head", NORTH)
    line_id = await plan_line(planning, anna, line(anna, await client(bus, "PKN")))
    await planning.post(f"/api/plans/lines/{line_id}/submit", headers=identity_headers(anna))
    await planning.post("/api/plans/locks", json={"period": "month", "start_date": "2026-12-01"})

    reviewed = await planning.post(
        f"/api/plans/lines/{line_id}/review",
        json={"decision": "approved"},
        headers=identity_headers(boss),
    )

    assert (reviewed.status_code, reviewed.json()["status"]) == (200, "approved")


async def test_periods_say_when_they_lock_and_whether_they_are_locked(
    planning: httpx.AsyncClient,
) -> None:
    await planning.put("/api/plans/settings", json={"lock_after_days": 5})
    await planning.post("/api/plans/locks", json={"period": "year", "start_date": "2027-01-01"})

    answer = await planning.get(
        "/api/plans/periods", params={"period": "month", "start_date": "2025-12-15", "count": 3}
    )
    in_the_locked_year = await planning.get(
        "/api/plans/periods", params={"period": "month", "start_date": "2027-03-31"}
    )
    weeks_around = await planning.get(
        "/api/plans/periods",
        params={"period": "week", "start_date": "2026-12-02", "count": 3, "before": 1},
    )

    assert [(p["start_date"], p["locks_on"], p["locked"]) for p in answer.json()] == [
        ("2025-12-01", "2026-01-06", "deadline"),
        ("2026-01-01", "2026-02-06", "deadline"),
        ("2026-02-01", "2026-03-06", "deadline"),
    ]
    assert [(p["start_date"], p["locked"]) for p in in_the_locked_year.json()] == [
        ("2027-03-01", "locked")
    ]
    assert [(p["start_date"], p["end_date"]) for p in weeks_around.json()] == [
        ("2026-11-23", "2026-11-29"),
        ("2026-11-30", "2026-12-06"),
        ("2026-12-07", "2026-12-13"),
    ]


async def test_bad_settings_and_locks_name_the_field(planning: httpx.AsyncClient) -> None:
    await planning.put("/api/plans/settings", json={"lock_after_days": 3})

    cases: list[tuple[str, str, dict[str, Any], str]] = [
        ("PUT", "/api/plans/settings", {"json": {"lock_after_days": -1}}, "lock_after_days"),
        ("PUT", "/api/plans/settings", {"json": {"approval_required": None}}, "approval_required"),
        (
            "POST",
            "/api/plans/locks",
            {"json": {"period": "month", "start_date": "2026-12-02"}},
            "start_date",
        ),
        (
            "DELETE",
            "/api/plans/locks",
            {"params": {"period": "week", "start_date": "2026-12-02"}},
            "start_date",
        ),
        (
            "GET",
            "/api/plans/periods",
            {"params": {"period": "custom", "start_date": "2026-12-02"}},
            "period",
        ),
        (
            "GET",
            "/api/plans/periods",
            {"params": {"period": "day", "start_date": "2026-12-02", "count": 0}},
            "count",
        ),
    ]
    for method, path, kwargs, field in cases:
        answer = await planning.request(method, path, **kwargs)
        assert answer.status_code == 422, (path, kwargs, answer.text)
        assert answer.json()["detail"][0]["loc"][-1] == field, (path, kwargs, answer.text)
    kept = (await planning.get("/api/plans/settings")).json()
    assert kept == {"approval_required": False, "lock_after_days": 3}
