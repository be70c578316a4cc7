"""Recurring activities: RFC 5545 rules (RRULE) with exceptions (EXDATE) and extra dates (RDATE),
expanded in local time.

A series repeats in its own time zone, so a weekly 9:00 call stays at 9:00 across daylight
saving changes. Rules are kept as text without DTSTART; the activity's start is the series start.

Expanding costs what is looked at, never what came before: a series is read from a period
boundary just before the window asked for (not from its first occurrence), and every walk
through the calendar gives up after a known year, also when nothing matches (dateutil on its
own walks to the year 9999 looking for a rule that never matches).
"""

import datetime as calendar_module
import re
import types
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from dateutil import rrule as dateutil_rrule
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule, rrulestr

from shared.text import N_

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
MAX_RULE_LENGTH = 500
MAX_COUNT = 1000
MAX_SPAN = timedelta(days=366 * 10)  # a series ends (COUNT, UNTIL) within ten years of its start
FIRST_YEAR, LAST_YEAR = 1900, 2200  # when a series may start
# Finer than a day is not an activity's rhythm, and would make thousands of occurrences a day.
FORBIDDEN_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND", "DTSTART")
_UNTIL = re.compile(r"UNTIL=(\d{8})(T(\d{6})(Z?))?", re.IGNORECASE)
_CHARACTERS = re.compile(r"^[A-Z0-9=;,+\-]+$")


class BadRule(ValueError):
    """The rule cannot be used; the message says why, for the user."""


def normalise(rule: str, zone: ZoneInfo) -> str:
    """The rule in the form kept: no `RRULE:` prefix, upper case, UNTIL in UTC.

    Files in the wild often give UNTIL as a date or a local time; RFC 5545 wants UTC when the
    start has a time zone, so those are read in `zone` (a date: through its last second).
    """
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    text = text.upper()
    if not text or len(text) > MAX_RULE_LENGTH or not _CHARACTERS.match(text):
        raise BadRule(
            "the recurrence rule is empty, too long or has characters an RRULE cannot have"
        )

    def utc_until(match: re.Match[str]) -> str:
        day, clock, utc = match.group(1), match.group(3), match.group(4)
        if utc:
            return match.group(0)
        try:
            local = datetime.strptime(day + (clock or "235959"), "%Y%m%d%H%M%S")
        except ValueError:
            raise BadRule("UNTIL in the recurrence rule is not a valid date") from None
        return "UNTIL=" + local.replace(tzinfo=zone).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    return _UNTIL.sub(utc_until, text)


def parse(rule: str, start: datetime) -> rrule:
    """The rule applied to a series starting at `start` (aware, in the series' time zone), or
    `BadRule`: also for a rule with no occurrence, or with COUNT occurrences not all, within
    ten years (found out by looking at those ten years only)."""
    parts = dict(part.partition("=")[::2] for part in rule.split(";") if part)
    if parts.get("FREQ") not in FREQUENCIES:
        raise BadRule("a recurrence repeats daily, weekly, monthly or yearly (FREQ)")
    if any(name in parts for name in FORBIDDEN_PARTS):
        raise BadRule("a recurrence rule has no BYHOUR, BYMINUTE, BYSECOND or DTSTART")
    if "COUNT" in parts and "UNTIL" in parts:
        raise BadRule("a recurrence rule has COUNT or UNTIL, not both")
    if "INTERVAL" in parts and not (
        parts["INTERVAL"].isdigit() and 0 < int(parts["INTERVAL"]) <= 999
    ):
        raise BadRule("a recurrence repeats every 1 to 999 days, weeks, months or years (INTERVAL)")
    if "COUNT" in parts and not (parts["COUNT"].isdigit() and 0 < int(parts["COUNT"]) <= MAX_COUNT):
        raise BadRule(f"a series has between 1 and {MAX_COUNT} occurrences (COUNT)")
    if not FIRST_YEAR <= start.year <= LAST_YEAR:
        raise BadRule(f"a series starts between {FIRST_YEAR} and {LAST_YEAR}")
    try:
        parsed = rrulestr(rule, dtstart=start)
    except (ValueError, TypeError) as error:
        raise BadRule(f"the recurrence rule cannot be read: {error}") from None
    if not isinstance(parsed, rrule):
        raise BadRule("give one recurrence rule")
    until = getattr(parsed, "_until", None)
    if until is not None and until > start + MAX_SPAN:
        raise BadRule("a series ends (UNTIL) at most ten years after it starts")
    _check_ten_years(parsed, start, until)
    return parsed


def _check_ten_years(parsed: rrule, start: datetime, until: datetime | None) -> None:
    """A rule that never matches (30 February) or whose COUNT runs past ten years is refused,
    having looked at ten years of the calendar and no more."""
    last_year = (start + MAX_SPAN).year
    count = getattr(parsed, "_count", None)
    if count is not None:
        if len(list(_bounded(parsed, last_year))) < count:
            raise BadRule("a series ends (COUNT) at most ten years after it starts")
        return
    probe = _bounded(parsed, last_year, until=min(until or start + MAX_SPAN, start + MAX_SPAN))
    if next(iter(probe), None) is None:
        raise BadRule(N_("the recurrence rule yields no occurrence"))


@lru_cache(maxsize=1024)
def _series(rule: str, start: datetime) -> rrule:
    """A kept rule (checked by `parse` when it was saved) applied to its series' start."""
    parsed = rrulestr(rule, dtstart=start)
    assert isinstance(parsed, rrule)
    return parsed


def starts_between(
    start: datetime,
    rule: str,
    exdates: Iterable[datetime],
    zone: ZoneInfo,
    after: datetime,
    before: datetime,
    rdates: Iterable[datetime] = (),
) -> list[datetime]:
    """The starts of the occurrences in [after, before), without the exceptions."""
    skipped = set(exdates)
    begin = start.astimezone(zone)
    series = _from(_series(rule, begin), begin, after, last_year=before.year + 1)
    found = {moment for moment in series.between(after, before, inc=True) if begin <= moment}
    found |= {extra.astimezone(zone) for extra in rdates if after <= extra}
    return sorted(moment for moment in found if moment < before and moment not in skipped)


def next_start(
    start: datetime,
    rule: str,
    exdates: Iterable[datetime],
    zone: ZoneInfo,
    after: datetime,
    rdates: Iterable[datetime] = (),
) -> datetime | None:
    """The first occurrence starting after `after` that is not an exception (within ten years)."""
    skipped = set(exdates)
    begin = start.astimezone(zone)
    series = _from(_series(rule, begin), begin, after, last_year=(after + MAX_SPAN).year)
    moment: datetime | None = series.after(after)
    while moment is not None and moment in skipped:
        moment = series.after(moment)
    extras = [e.astimezone(zone) for e in rdates if e > after and e not in skipped]
    return min([*extras, moment] if moment is not None else extras, default=None)


def last_end(
    start: datetime,
    duration: timedelta,
    rule: str,
    zone: ZoneInfo,
    rdates: Iterable[datetime] = (),
) -> datetime | None:
    """When the last occurrence ends; None for a series without COUNT or UNTIL. Checks the rule."""
    begin = start.astimezone(zone)
    series = parse(rule, begin)
    if "COUNT=" not in rule and "UNTIL=" not in rule:
        return None
    last = None
    for last in _bounded(series, (begin + MAX_SPAN).year):  # noqa: B007 - ten years at most
        pass
    ends = [moment for moment in [last, *rdates] if moment is not None]
    return max(ends) + duration if ends else None


# --- Walking the calendar within bounds ---------------------------------------------------------


def _from(parsed: rrule, start: datetime, moment: datetime, *, last_year: int) -> rrule:
    """The series as read from a period boundary shortly before `moment`: the same occurrences
    from there on, without walking from its first one. A COUNT series (ten years at most) is
    walked whole: what came before counts."""
    local = moment.astimezone(start.tzinfo)
    if getattr(parsed, "_count", None) is not None or local <= start:
        return _bounded(parsed, last_year)
    shifted = _period_before(parsed._freq, parsed._interval, start, local)
    if shifted is None:
        return _bounded(parsed, last_year)
    return _bounded(parsed, last_year, dtstart=shifted, **_implied(parsed))


def _period_before(freq: int, interval: int, start: datetime, local: datetime) -> datetime | None:
    """The start of a whole period of the series (counted in INTERVALs from `start`) a period or
    more before `local`; None when that is `start` itself. Wall-clock arithmetic in the zone."""
    days = (local.date() - start.date()).days
    if freq == DAILY:
        steps = (days - 1) // interval
        return start + timedelta(days=steps * interval) if steps > 0 else None
    if freq == WEEKLY:
        steps = (days - 7) // (7 * interval)
        return start + timedelta(weeks=steps * interval) if steps > 0 else None
    if freq == MONTHLY:
        months = (local.year - start.year) * 12 + local.month - start.month
        steps = months // interval - 1
        index = start.month - 1 + steps * interval
        return (
            start.replace(year=start.year + index // 12, month=index % 12 + 1, day=1)
            if (steps > 0)
            else None
        )
    steps = (local.year - start.year) // interval - 1
    return start.replace(year=start.year + steps * interval, month=1, day=1) if steps > 0 else None


def _implied(parsed: rrule) -> dict[str, Any]:
    """The parts dateutil takes from the first start when the rule does not say (the weekday of
    a weekly rule, the day of a monthly one, the day and month of a yearly one), said outright,
    so a series read from a later start keeps them."""
    original: dict[str, Any] = parsed._original_rule
    implied: dict[str, Any] = {}
    if "bymonth" in original and original["bymonth"] is None:
        implied["bymonth"] = parsed._bymonth
    if "bymonthday" in original and original["bymonthday"] is None:
        implied["bymonthday"] = parsed._bymonthday + parsed._bynmonthday
    if "byweekday" in original and original["byweekday"] is None:
        implied["byweekday"] = parsed._byweekday
    return implied


class _Calendar:
    """The `datetime` module as dateutil's walk sees it, but for the last year it may reach."""

    def __init__(self, last_year: int) -> None:
        self.MAXYEAR = last_year

    def __getattr__(self, name: str) -> Any:
        return getattr(calendar_module, name)


@cache
def _walk_until(last_year: int) -> Callable[[rrule], Iterator[datetime]]:
    """dateutil's own walk through the calendar, ending after `last_year` (it ends after the
    year 9999 otherwise, however long nothing matches)."""
    walk: Any = rrule._iter
    scope = {**vars(dateutil_rrule), "datetime": _Calendar(last_year)}
    return types.FunctionType(walk.__code__, scope, walk.__name__, walk.__defaults__)


class _BoundedRule(rrule):  # type: ignore[misc]  # dateutil ships no types
    def __init__(self, *, last_year: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._last_year = min(last_year, calendar_module.MAXYEAR)

    def _iter(self) -> Iterator[datetime]:
        return _walk_until(self._last_year)(self)


def _bounded(parsed: rrule, last_year: int, **changes: Any) -> rrule:
    """`parsed` (with `changes`), walked no further than `last_year`."""
    kwargs = {
        "freq": parsed._freq,
        "dtstart": parsed._dtstart,
        "interval": parsed._interval,
        "wkst": parsed._wkst,
        "count": parsed._count,
        "until": parsed._until,
        **parsed._original_rule,
        **changes,
    }
    return _BoundedRule(last_year=last_year, **kwargs)
