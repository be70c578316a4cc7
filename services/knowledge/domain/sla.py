"""The SLA of a request in a department's working hours: hours per weekday in the department's
time zone, Polish public holidays off (from the `holidays` library, kept up to date by its
maintainers: Christmas Eve is a day off from 2025 on, for one)."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

Window = tuple[time, time]
# A search for working time gives up after ten years of days off.
_MAX_DAYS = 3660
# The warning comes when this share of the SLA's working time is gone.
WARN_AT = 0.8


@dataclass(frozen=True)
class WorkingWeek:
    """When a department works: one window per weekday (Monday first; None: a day off)."""

    days: tuple[Window | None, ...]
    zone: ZoneInfo

    def window(self, day: date, is_holiday: Callable[[date], bool]) -> Window | None:
        return None if is_holiday(day) else self.days[day.weekday()]


def week_of(hours: Sequence[tuple[str, str] | None], zone: str = "Europe/Warsaw") -> WorkingWeek:
    """A week from `HH:MM` pairs (seven, Monday first)."""
    days = tuple(
        (time.fromisoformat(start), time.fromisoformat(end)) if pair else None
        for pair in hours
        for start, end in [pair or ("", "")]
    )
    return WorkingWeek(days, ZoneInfo(zone))


DEFAULT_HOURS: tuple[tuple[str, str] | None, ...] = (
    *[("08:00", "16:00")] * 5,
    None,
    None,
)


@cache
def _polish_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.Poland(years=year))  # type: ignore[attr-defined]


def polish_holiday(day: date) -> bool:
    """Whether `day` is a public holiday in Poland."""
    return day in _polish_holidays(day.year)


def add_working_time(
    start: datetime,
    duration: timedelta,
    week: WorkingWeek,
    is_holiday: Callable[[date], bool] = polish_holiday,
) -> datetime:
    """The moment `duration` of working time after `start` (UTC); ValueError if the week has no
    working time at all."""
    remaining = max(duration, timedelta(0))
    moment = start.astimezone(week.zone)
    day = moment.date()
    for _ in range(_MAX_DAYS):
        window = week.window(day, is_holiday)
        if window is not None:
            opens = datetime.combine(day, window[0], week.zone)
            closes = datetime.combine(day, window[1], week.zone)
            begin = max(opens, moment)
            if begin < closes or (remaining == timedelta(0) and begin <= closes):
                if remaining <= closes - begin:
                    return (begin + remaining).astimezone(UTC)
                remaining -= closes - begin
        day += timedelta(days=1)
        moment = datetime.combine(day, time(0), week.zone)
    raise ValueError("the department has no working time")


def working_time_between(
    start: datetime,
    end: datetime,
    week: WorkingWeek,
    is_holiday: Callable[[date], bool] = polish_holiday,
) -> timedelta:
    """The working time from `start` to `end` (nothing when `end` is not later)."""
    total = timedelta(0)
    first, last = start.astimezone(week.zone), end.astimezone(week.zone)
    day = first.date()
    while day <= last.date():
        window = week.window(day, is_holiday)
        if window is not None:
            opens = max(datetime.combine(day, window[0], week.zone), first)
            closes = min(datetime.combine(day, window[1], week.zone), last)
            if closes > opens:
                total += closes - opens
        day += timedelta(days=1)
    return total


@dataclass(frozen=True)
class Clock:
    """When a running SLA warns and runs out."""

    warn_at: datetime
    due_at: datetime


def start_clock(
    now: datetime,
    *,
    left: timedelta,
    total: timedelta,
    week: WorkingWeek,
    is_holiday: Callable[[date], bool] = polish_holiday,
) -> Clock:
    """The SLA running from `now` with `left` of its `total` working time to go."""
    before_warning = left - total * (1 - WARN_AT)
    return Clock(
        warn_at=add_working_time(now, before_warning, week, is_holiday),
        due_at=add_working_time(now, left, week, is_holiday),
    )


def standing(now: datetime, *, warn_at: datetime | None, due_at: datetime | None) -> str | None:
    """`on_time`, `due_soon` or `overdue` for a running SLA; None when it is not running."""
    if due_at is None:
        return None
    if now >= due_at:
        return "overdue"
    if warn_at is not None and now >= warn_at:
        return "due_soon"
    return "on_time"
