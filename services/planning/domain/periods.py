"""Plan periods: a day, an ISO week (Monday start), a month, a quarter, a year, or a custom range."""

import calendar
from datetime import date, timedelta
from typing import Literal

from shared.text import N_

Period = Literal["day", "week", "month", "quarter", "year", "custom"]
# The most days a period of each fixed kind can have (a custom one has no bound).
LONGEST: dict[Period, int] = {"day": 1, "week": 7, "month": 31, "quarter": 92, "year": 366}


class BadPeriod(ValueError):
    """The dates do not make a period of the kind given; `field` says which date is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def period_range(period: Period, start: date, end: date | None = None) -> tuple[date, date]:
    """The first and last day of the period starting at `start` (`end` only for custom ones)."""
    if period == "custom":
        if end is None:
            raise BadPeriod("end_date", N_("a custom period needs an end date"))
        if end < start:
            raise BadPeriod("end_date", N_("the end date is before the start date"))
        return start, end
    last = _last_day(period, start)
    if end is not None and end != last:
        raise BadPeriod("end_date", N_("this period's end follows from its start; leave it out"))
    return start, last


def _last_day(period: Period, start: date) -> date:
    if period == "day":
        return start
    if period == "week":
        if start.weekday() != 0:
            raise BadPeriod("start_date", N_("a week starts on a Monday"))
        return start + timedelta(days=6)
    if start.day != 1:
        raise BadPeriod("start_date", N_("a month, quarter or year starts on the 1st"))
    if period == "month":
        return start.replace(day=calendar.monthrange(start.year, start.month)[1])
    if period == "quarter":
        if start.month not in (1, 4, 7, 10):
            raise BadPeriod("start_date", N_("a quarter starts in January, April, July or October"))
        last_month = start.month + 2
        return start.replace(month=last_month, day=calendar.monthrange(start.year, last_month)[1])
    if start.month != 1:
        raise BadPeriod("start_date", N_("a year starts on the 1st of January"))
    return start.replace(month=12, day=31)


def previous(period: Period, start: date, end: date) -> tuple[date, date]:
    """The period of the same kind right before (for copying a plan forward)."""
    if period == "custom":
        length = end - start
        return start - length - timedelta(days=1), start - timedelta(days=1)
    before = start - timedelta(days=1)
    return period_range(period, start_of(period, before))


def start_of(period: Period, day: date) -> date:
    """The first day of the period of this kind that holds `day`."""
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)
