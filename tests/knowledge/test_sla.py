"""The SLA in a department's working hours: Polish holidays off, the clock stopped while the
requester is asked, a warning before the end, the end announced once."""

from datetime import UTC, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from services.knowledge.domain.sla import (
    DEFAULT_HOURS,
    add_working_time,
    standing,
    start_clock,
    week_of,
    working_time_between,
)
from services.knowledge.service_tables import ServiceRequest
from services.knowledge.usecases import requests
from services.knowledge.usecases.requests import Origin
from services.knowledge.usecases.sla import watch_deadlines
from tests.knowledge.services_world import World, world

__all__ = ["world"]

WARSAW = ZoneInfo("Europe/Warsaw")
WEEK = week_of(DEFAULT_HOURS)


def warsaw(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=WARSAW)  # type: ignore[arg-type,misc]


def test_eight_hours_from_a_friday_afternoon_before_easter_monday_end_on_tuesday() -> None:
    # Friday 3 April 2026, 14:00: two hours that day, Easter Monday off, six on Tuesday.
    due = add_working_time(warsaw(2026, 4, 3, 14, 0), timedelta(hours=8), WEEK)

    assert due == warsaw(2026, 4, 7, 14, 0).astimezone(UTC)


def test_holidays_come_from_the_maintained_calendar() -> None:
    # Wednesday 23 December 2026, 15:00: Christmas Eve is a day off in Poland from 2025 on.
    due = add_working_time(warsaw(2026, 12, 23, 15, 0), timedelta(hours=2), WEEK)
    # Friday 30 October 2026, 12:00; Monday 2 November is a working day, Sunday 1st is not.
    after_all_saints = add_working_time(warsaw(2026, 10, 30, 12, 0), timedelta(hours=8), WEEK)

    assert due == warsaw(2026, 12, 28, 9, 0).astimezone(UTC)
    assert after_all_saints == warsaw(2026, 11, 2, 12, 0).astimezone(UTC)


def test_time_outside_the_working_day_does_not_count() -> None:
    evening = add_working_time(warsaw(2026, 12, 2, 19, 0), timedelta(hours=1), WEEK)
    worked = working_time_between(warsaw(2026, 4, 3, 14, 0), warsaw(2026, 4, 7, 10, 0), WEEK)

    assert evening == warsaw(2026, 12, 3, 9, 0).astimezone(UTC)
    assert worked == timedelta(hours=4)


def test_the_warning_comes_when_four_fifths_are_gone() -> None:
    start = warsaw(2026, 12, 1, 8, 0)
    clock = start_clock(start, left=timedelta(hours=10), total=timedelta(hours=10), week=WEEK)

    assert clock.warn_at == warsaw(2026, 12, 1, 16, 0).astimezone(UTC)  # the end of the day
    assert clock.due_at == warsaw(2026, 12, 2, 10, 0).astimezone(UTC)
    assert standing(clock.warn_at, warn_at=clock.warn_at, due_at=clock.due_at) == "due_soon"
    assert standing(clock.due_at, warn_at=clock.warn_at, due_at=clock.due_at) == "overdue"
    assert standing(start, warn_at=clock.warn_at, due_at=clock.due_at) == "on_time"


async def _raise_at(world: World, when: datetime) -> UUID:
    request = await requests.submit_request(
        world.knowledge.sessions,
        identity=world.manager,
        service_id=UUID(world.service["id"]),
        inputs={"company": str(world.company), "amount": "5000", "purpose": "oferta"},
        origin=Origin(deal_id=world.deal),
        comment="",
        now=when,
    )
    return request.id


async def test_a_request_raised_friday_afternoon_before_a_holiday_is_due_on_tuesday(
    world: World,
) -> None:
    request_id = await _raise_at(world, warsaw(2026, 4, 3, 14, 0))

    answer = await world.knowledge.call(world.clerk, "GET", f"/api/requests/{request_id}")

    assert answer.json()["sla_hours"] == 8
    assert datetime.fromisoformat(answer.json()["due_at"]) == warsaw(2026, 4, 7, 14, 0)
    [event] = await world.knowledge.events("crm.request.submitted.v1")
    assert datetime.fromisoformat(event["due_at"]) == warsaw(2026, 4, 7, 14, 0)


async def test_the_breach_is_announced_to_the_department_once(world: World) -> None:
    request_id = await _raise_at(world, warsaw(2026, 4, 3, 14, 0))
    sessions = world.knowledge.sessions

    before = await watch_deadlines(sessions, now=warsaw(2026, 4, 7, 11, 0))
    at_warning = await watch_deadlines(sessions, now=warsaw(2026, 4, 7, 12, 30))
    at_breach = await watch_deadlines(sessions, now=warsaw(2026, 4, 7, 14, 0))
    later = await watch_deadlines(sessions, now=warsaw(2026, 4, 8, 9, 0))

    assert (before, at_warning, at_breach, later) == (0, 1, 1, 0)
    async with sessions() as session:
        changed = await session.get(ServiceRequest, request_id)
    assert changed is not None and changed.updated_at == warsaw(2026, 4, 7, 14, 0)  # synced
    [overdue] = await world.knowledge.events("crm.request.overdue.v1")
    assert overdue["request_id"] == str(request_id)
    assert overdue["department_id"] == str(world.finance)
    assert overdue["actor_id"] is None
    assert len(await world.knowledge.events("crm.request.due_soon.v1")) == 1


async def test_the_clock_stops_while_the_request_is_returned(world: World) -> None:
    request_id = await _raise_at(world, warsaw(2026, 12, 1, 8, 0))
    sessions = world.knowledge.sessions
    await requests.accept_requests(
        sessions,
        identity=world.clerk,
        request_ids=[request_id],
        assignee_id=None,
        now=warsaw(2026, 12, 1, 9, 0),
    )
    await requests.return_request(
        sessions,
        identity=world.clerk,
        request_id=request_id,
        comment="NIP?",
        now=warsaw(2026, 12, 1, 10, 0),
    )
    nothing = await watch_deadlines(sessions, now=warsaw(2026, 12, 9, 10, 0))
    resubmitted = await requests.resubmit_request(
        sessions,
        identity=world.manager,
        request_id=request_id,
        inputs={},
        comment="",
        now=warsaw(2026, 12, 3, 15, 0),
    )

    assert nothing == 0
    # 2 of the 8 hours were used on Tuesday; 6 are left from Thursday 15:00.
    assert resubmitted.due_at == warsaw(2026, 12, 4, 13, 0).astimezone(UTC)


def test_a_week_without_working_time_has_no_deadline() -> None:
    closed = week_of([None] * 7)

    with pytest.raises(ValueError, match="no working time"):
        add_working_time(warsaw(2026, 12, 1, 8, 0), timedelta(hours=1), closed)
