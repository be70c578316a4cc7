"""Reminders before a period's plan locks: once per manager and period, only for lines not
submitted, however many replicas look at once."""

import asyncio
from datetime import date

import httpx
from sqlalchemy import text

from services.planning.usecases.reminders import remind_before_lock
from shared.bus import InProcessBus
from tests.planning.test_lines import NORTH, client, line, person


async def test_each_manager_is_reminded_once_of_lines_not_submitted_before_the_deadline(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    anna, piotr = await person(bus, "manager", NORTH), await person(bus, "manager", NORTH)
    orlen, lotos, pkn = [await client(bus, name) for name in ("Orlen", "Lotos", "PKN")]
    for body in (
        line(anna, orlen),
        line(anna, lotos),
        line(piotr, orlen),
        line(piotr, lotos, period="week", start_date="2026-12-28"),  # locks later
        line(piotr, pkn, period="day", start_date="2026-12-30"),  # locked by hand
    ):
        assert (await planning.post("/api/plans/lines", json=body)).status_code == 201
    submitted = (await planning.post("/api/plans/lines", json=line(anna, pkn))).json()
    await planning.post(f"/api/plans/lines/{submitted['id']}/submit")
    await planning.post("/api/plans/locks", json={"period": "day", "start_date": "2026-12-30"})
    await planning.put("/api/plans/settings", json={"lock_after_days": 5})  # December: 6 Jan
    sessions = planning._transport.app.state.sessions  # type: ignore[attr-defined]

    early = await remind_before_lock(sessions, today=date(2027, 1, 2), days_before=3)
    at_once = await asyncio.gather(
        *(remind_before_lock(sessions, today=date(2027, 1, 3), days_before=3) for _ in range(3))
    )
    later = await remind_before_lock(sessions, today=date(2027, 1, 5), days_before=3)

    assert (early, sorted(at_once), later) == (0, [0, 0, 2], 0)
    async with sessions() as session:
        sent = (
            await session.execute(
                text(
                    "SELECT envelope->'data'->>'manager_id', envelope->'data'->>'unsubmitted',"
                    " envelope->'data'->>'locks_on' FROM outbox"
                    " WHERE type = 'crm.plan.lock_reminder_due.v1'"
                )
            )
        ).all()
    assert sorted(sent) == sorted(
        [(anna.user_id, "2", "2027-01-06"), (piotr.user_id, "1", "2027-01-06")]
    )
