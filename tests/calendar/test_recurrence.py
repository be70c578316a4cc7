"""Recurrence costs what is looked at: a window of a long series, a rule that never matches."""

import asyncio
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from services.calendar.domain import recurrence
from tests.calendar.conftest import Calendar, Hire, group

WARSAW = ZoneInfo("Europe/Warsaw")
NEVER = [
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=DAILY;BYSETPOS=2",
    "FREQ=WEEKLY;BYWEEKNO=53;BYMONTH=6",
    "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31",
]


@pytest.mark.parametrize("rule", NEVER)
def test_a_rule_that_never_matches_is_refused_within_50_ms(rule: str) -> None:
    started = time.perf_counter()
    with pytest.raises(recurrence.BadRule, match="no occurrence"):
        recurrence.parse(rule, datetime(2026, 3, 2, 9, tzinfo=WARSAW))
    assert time.perf_counter() - started < 0.05


@pytest.mark.parametrize("year", [1899, 2201, 1])
def test_a_series_starts_between_1900_and_2200(year: int) -> None:
    with pytest.raises(recurrence.BadRule, match="1900 and 2200"):
        recurrence.parse("FREQ=DAILY", datetime(year, 6, 1, 9, tzinfo=WARSAW))


def test_a_count_that_runs_past_ten_years_is_refused() -> None:
    rare = "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;COUNT=4"  # the fourth is 12 years away
    with pytest.raises(recurrence.BadRule, match="COUNT"):
        recurrence.parse(rare, datetime(2026, 1, 1, 9, tzinfo=WARSAW))


def test_a_window_of_a_long_series_costs_the_window_not_the_years_before() -> None:
    start = datetime(1900, 1, 1, 9, tzinfo=WARSAW)
    window = (datetime(2199, 12, 1, tzinfo=UTC), datetime(2200, 3, 1, tzinfo=UTC))

    started = time.perf_counter()
    found = recurrence.starts_between(start, "FREQ=DAILY", [], WARSAW, *window)
    spent = time.perf_counter() - started

    assert len(found) == 90 and found[0] == datetime(2199, 12, 1, 9, tzinfo=WARSAW)
    assert spent < 0.02  # from the year 1900, dateutil alone walks 110,000 days first


RULES = st.sampled_from(
    [
        "FREQ=DAILY",
        "FREQ=DAILY;INTERVAL=3",
        "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
        "FREQ=WEEKLY",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,FR",
        "FREQ=WEEKLY;WKST=SU;INTERVAL=3;BYDAY=SU,WE",
        "FREQ=WEEKLY;BYDAY=MO,FR;BYSETPOS=-1",
        "FREQ=MONTHLY",
        "FREQ=MONTHLY;INTERVAL=5",
        "FREQ=MONTHLY;BYDAY=2TU",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=MONTHLY;BYMONTHDAY=-1",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "FREQ=YEARLY",
        "FREQ=YEARLY;INTERVAL=3",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
        "FREQ=YEARLY;BYYEARDAY=100,-1",
        "FREQ=DAILY;UNTIL=20301231T000000Z",
    ]
)
MOMENTS = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2029, 12, 31), timezones=st.just(WARSAW)
)


@settings(max_examples=150, deadline=None)
@given(rule=RULES, start=MOMENTS, offset=st.integers(0, 4000), days=st.integers(1, 100))
def test_a_window_reads_the_same_occurrences_as_a_walk_from_the_first(
    rule: str, start: datetime, offset: int, days: int
) -> None:
    start = start.replace(second=0, microsecond=0)
    after = start + timedelta(days=offset, hours=offset % 24)
    before = after + timedelta(days=days)
    walked = rrulestr(rule, dtstart=start).between(after, before, inc=True)

    read = recurrence.starts_between(start, rule, [], WARSAW, after, before)

    assert read == [moment for moment in walked if moment < before]
    following = rrulestr(rule, dtstart=start).after(after)
    if following is not None and following < after + recurrence.MAX_SPAN:
        assert recurrence.next_start(start, rule, [], WARSAW, after) == following


async def test_healthz_answers_within_100_ms_while_the_worst_allowed_rules_are_read(
    calendar: Calendar, hire: Hire, settled_gc: None
) -> None:
    anna = await hire("manager", group())
    worst = {  # daily for ten years, kept in COUNT, read from its first day: the longest walk
        "kind": "call",
        "title": "Co dzień",
        "start": "2026-01-01T09:00:00+01:00",
        "end": "2026-01-01T09:15:00+01:00",
        "rrule": "FREQ=DAILY;BYMONTHDAY=1,15;COUNT=240",
    }
    for _ in range(40):
        assert (await calendar.call(anna, "POST", "/api/activities", json=worst)).is_success
    window = {"start": "2035-10-01T00:00:00+02:00", "end": "2036-01-01T00:00:00+01:00"}
    reading = asyncio.create_task(
        calendar.call(anna, "GET", "/api/calendar/occurrences", params=window)
    )
    waits = []
    while not reading.done():
        asked = time.perf_counter()
        assert (await calendar.client.get("/healthz")).status_code == 200
        waits.append(time.perf_counter() - asked)
        await asyncio.sleep(0.01)

    assert len((await reading).json()) == 40 * 6
    assert len(waits) >= 3 and max(waits) < 0.1, waits
