"""Recurring activities: RFC 5545 rules (RRULE) with exceptions (EXDATE) and extra dates (RDATE),
expanded in local time.

A series repeats in its own time zone, so a weekly 9:00 call stays at 9:00 across daylight
saving changes. Rules are kept as text without DTSTART; the activity's start is the series start.
"""

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rruleset, rrulestr

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
MAX_RULE_LENGTH = 500
MAX_COUNT = 1000
MAX_SPAN = timedelta(days=366 * 10)  # a series ends (UNTIL) within ten years of its start
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
    """The rule applied to a series starting at `start` (aware, in the series' time zone)."""
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
    try:
        parsed = rrulestr(rule, dtstart=start)
    except (ValueError, TypeError) as error:
        raise BadRule(f"the recurrence rule cannot be read: {error}") from None
    if not isinstance(parsed, rrule):
        raise BadRule("give one recurrence rule")
    until = getattr(parsed, "_until", None)
    if until is not None and until > start + MAX_SPAN:
        raise BadRule("a series ends (UNTIL) at most ten years after it starts")
    # Looked for within ten years: a rule that never matches (30 February) is refused quickly.
    probe = parsed.replace(until=until or start + MAX_SPAN, count=None)
    if probe.after(start, inc=True) is None:
        raise BadRule("the recurrence rule yields no occurrence")
    return parsed


def _series(
    start: datetime,
    rule: str,
    exdates: Iterable[datetime],
    rdates: Iterable[datetime],
    zone: ZoneInfo,
) -> rruleset:
    series = rruleset()
    series.rrule(parse(rule, start.astimezone(zone)))
    for extra in rdates:
        series.rdate(extra.astimezone(zone))
    for skipped in exdates:
        series.exdate(skipped)
    return series


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
    series = _series(start, rule, exdates, rdates, zone)
    return [s for s in series.between(after, before, inc=True) if s < before]


def next_start(
    start: datetime,
    rule: str,
    exdates: Iterable[datetime],
    zone: ZoneInfo,
    after: datetime,
    rdates: Iterable[datetime] = (),
) -> datetime | None:
    """The first occurrence starting after `after` that is not an exception."""
    moment: datetime | None = _series(start, rule, exdates, rdates, zone).after(after)
    return moment


def last_end(
    start: datetime,
    duration: timedelta,
    rule: str,
    zone: ZoneInfo,
    rdates: Iterable[datetime] = (),
) -> datetime | None:
    """When the last occurrence ends; None for a series without COUNT or UNTIL."""
    parse(rule, start.astimezone(zone))  # refuses a bad rule either way
    if "COUNT=" not in rule and "UNTIL=" not in rule:
        return None
    last = None
    for last in _series(start, rule, (), rdates, zone):  # noqa: B007 - bounded by COUNT or UNTIL
        pass
    return None if last is None else last + duration
