"""The scheduler: reminders fire exactly once and on time, even with two instances on one database."""

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, text, update

from services.calendar.tables import Alarm
from services.calendar.usecases.alarms import Scheduler, fire_due
from shared.db import new_engine, new_session_factory
from shared.metrics import ALARMS_FIRED
from shared.postgres import async_url
from shared.testing.waiting import eventually
from tests.calendar.conftest import Calendar, Hire, group
from tests.calendar.test_activities import call


async def _settled(calendar: Calendar) -> None:
    """Wait until no reminder is pending (the service's own scheduler may hold some a moment)."""

    async def no_reminder_due() -> bool:
        async with calendar.sessions() as session:
            pending = await session.scalar(
                select(func.count())
                .select_from(Alarm)
                .where(
                    Alarm.kind == "reminder", Alarm.fired_at.is_(None), Alarm.fire_at <= func.now()
                )
            )
        return pending == 0

    await eventually(no_reminder_due, timeout=30)


async def _count(rows: Callable[[], Awaitable[list[Any]]], expected: int) -> bool:
    return len(await rows()) == expected


async def _make_due(calendar: Calendar, seconds_ago: float = 0) -> None:
    """Bring every pending alarm's time to now (minus `seconds_ago`)."""
    async with calendar.sessions() as session, session.begin():
        await session.execute(
            update(Alarm)
            .where(Alarm.fired_at.is_(None), Alarm.kind == "reminder")
            .values(fire_at=func.now() - timedelta(seconds=seconds_ago))
        )


async def test_two_schedulers_on_one_database_fire_each_reminder_exactly_once(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    for _ in range(150):
        created = await calendar.call(anna, "POST", "/api/activities", json=call(reminders=[5, 60]))
        assert created.status_code == 201
    # Two more instances of the scheduler, each with its own connection pool, race for them
    # (the service's own scheduler runs too: three in all).
    engines = [new_engine(async_url(calendar.database_url)) for _ in range(2)]
    schedulers = [Scheduler(new_session_factory(engine), interval=0.05) for engine in engines]
    running = [asyncio.create_task(scheduler.run()) for scheduler in schedulers]
    await _make_due(calendar)
    try:
        await _settled(calendar)
    finally:
        for scheduler in schedulers:
            scheduler.stop()
        await asyncio.gather(*running)
        for engine in engines:
            await engine.dispose()
    reminders = await calendar.events("crm.activity.reminder_due.v1")
    assert len(reminders) == 300
    assert max(Counter(r["reminder_id"] for r in reminders).values()) == 1
    async with calendar.sessions() as session:
        late = await session.scalar(
            select(func.max(Alarm.fired_at - Alarm.fire_at)).where(Alarm.kind == "reminder")
        )
    assert late is not None and late < timedelta(seconds=30)  # type: ignore[operator]


async def test_concurrent_claims_never_overlap(calendar: Calendar, hire: Hire) -> None:
    """The claim itself, without the loop: many concurrent calls, each alarm fired once."""
    anna = await hire("manager", group())
    for _ in range(40):
        await calendar.call(anna, "POST", "/api/activities", json=call(reminders=[1, 2, 3, 4, 5]))
    engines = [new_engine(async_url(calendar.database_url)) for _ in range(2)]
    factories = [new_session_factory(engine) for engine in engines]
    try:
        await _make_due(calendar)
        claimed = await asyncio.gather(*(fire_due(factories[i % 2]) for i in range(8)))
        await _settled(calendar)
    finally:
        for engine in engines:
            await engine.dispose()
    reminders = await calendar.events("crm.activity.reminder_due.v1")
    assert len({r["reminder_id"] for r in reminders}) == len(reminders) == 200
    assert sum(claimed) <= 200  # the service's own scheduler may have taken some


async def test_the_reminders_a_process_fires_are_counted_once_each(
    calendar: Calendar, hire: Hire
) -> None:
    """`crm_alarms_fired_total` says how many alarms this process's scheduler fired: with two
    replicas it shows that both fire."""
    anna = await hire("manager", group())
    before = ALARMS_FIRED.labels("reminder")._value.get()
    for _ in range(3):
        await calendar.call(anna, "POST", "/api/activities", json=call(reminders=[5, 60]))
    await _make_due(calendar)
    await _settled(calendar)

    assert ALARMS_FIRED.labels("reminder")._value.get() - before == 6


async def test_a_series_is_reminded_of_each_occurrence_in_turn(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    series = call(
        start=start.isoformat(),
        end=(start + timedelta(minutes=15)).isoformat(),
        rrule="FREQ=DAILY;COUNT=3",
        reminders=[15],
    )
    created = (await calendar.call(anna, "POST", "/api/activities", json=series)).json()
    for day in range(3):
        await _make_due(calendar)
        await fire_due(calendar.sessions)
        reminders = await calendar.events("crm.activity.reminder_due.v1")
        assert len(reminders) == day + 1
        expected = start + timedelta(days=day)
        assert datetime.fromisoformat(reminders[-1]["occurrence_starts_at"]) == expected
        assert reminders[-1]["activity_id"] == created["id"]
    await _make_due(calendar)
    await fire_due(calendar.sessions)
    assert len(await calendar.events("crm.activity.reminder_due.v1")) == 3  # the series ended


async def test_an_ended_activity_asks_its_owner_then_the_head_for_the_outcome(
    service_database: object, settings_for: object, bus: object, hire: Hire
) -> None:
    from services.calendar.app import create_app
    from services.calendar.settings import CalendarSettings
    from shared.testing.apps import identity_headers, running

    settings = CalendarSettings(
        **settings_for(await service_database("calendar")),  # type: ignore[operator]
        scheduler_interval=0.1,
        outcome_escalation_hours=2,
    )
    app = create_app(settings, bus)  # type: ignore[arg-type]
    async with running(app) as client:
        north = group()
        head = await hire("head", north)
        anna = await hire("manager", north)
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
        end = start + timedelta(minutes=30)
        created = await client.post(
            "/api/activities",
            json=call(start=start.isoformat(), end=end.isoformat(), reminders=[]),
            headers=identity_headers(anna),
        )
        assert created.status_code == 201, created.text
        sessions = app.state.sessions

        async def overdue() -> list[dict[str, object]]:
            async with sessions() as session:
                rows = await session.execute(
                    text(
                        "SELECT envelope FROM outbox WHERE type = 'crm.activity.outcome_overdue.v1'"
                        " ORDER BY id"
                    )
                )
                return [row.envelope["data"] for row in rows]

        async def time_passes(kind: str) -> None:
            """The alarm of `kind` comes due: its time is now in the past."""
            async with sessions() as session, session.begin():
                await session.execute(
                    update(Alarm)
                    .where(Alarm.kind == kind)
                    .values(fire_at=datetime.now(UTC) - timedelta(seconds=1))
                )

        async with sessions() as session:
            alarms = {a.kind: a.fire_at for a in await session.scalars(select(Alarm))}
        assert alarms == {"outcome": end, "escalation": end + timedelta(hours=2)}

        await time_passes("outcome")
        [asked] = await eventually(overdue)
        assert asked["recipient_ids"] == [anna.user_id] and asked["escalated"] is False
        await time_passes("escalation")
        await eventually(lambda: _count(overdue, 2))
        escalated = (await overdue())[1]
        assert escalated["recipient_ids"] == [head.user_id] and escalated["escalated"] is True
        assert UUID(str(escalated["activity_id"])) == UUID(created.json()["id"])


async def test_an_edit_after_the_reminder_fired_does_not_remind_again(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=20)
    # due at once: the start is 20 minutes away
    created = await calendar.plan(anna, start, minutes=30, reminders=[30])
    await _settled(calendar)
    assert len(await calendar.events("crm.activity.reminder_due.v1")) == 1
    url = f"/api/activities/{created['id']}"
    for change in (
        {"end": (start + timedelta(minutes=45)).isoformat()},
        {"title": "Telefon, nowy temat"},
        {"reminders": [30, 25]},  # a new offset is reminded; the old one is not repeated
    ):
        assert (await calendar.call(anna, "PATCH", url, json=change)).status_code == 200
        await _settled(calendar)
    reminders = await calendar.events("crm.activity.reminder_due.v1")
    assert sorted(r["minutes_before"] for r in reminders) == [25, 30]


async def test_each_occurrence_of_a_series_asks_for_its_outcome(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    await calendar.plan(anna, start, rrule="FREQ=DAILY;COUNT=2", reminders=[])
    for day in range(2):
        async with calendar.sessions() as session, session.begin():
            await session.execute(
                update(Alarm)
                .where(Alarm.fired_at.is_(None), Alarm.kind == "outcome")
                .values(fire_at=func.now())
            )
        await fire_due(calendar.sessions)
        asked = await calendar.events("crm.activity.outcome_overdue.v1")
        assert len(asked) == day + 1
        assert datetime.fromisoformat(asked[-1]["occurrence_starts_at"]) == start + timedelta(
            days=day
        )
    async with calendar.sessions() as session:
        pending = await session.scalar(
            select(func.count()).select_from(Alarm).where(Alarm.fired_at.is_(None))
        )
    assert pending == 0  # the series has ended
