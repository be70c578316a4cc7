"""iCalendar (RFC 5545): writing feeds and reading imported files.

Feeds are written directly as text: a feed of thousands of activities is fetched by phones every
few minutes, and building a component tree per event costs several times more than the text.
Imported files are read with the `icalendar` parser, which copes with what other programs write.
"""

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any, Protocol
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

from services.calendar.domain.kinds import KINDS
from services.calendar.domain.recurrence import BadRule, normalise
from shared.schemas import EARLIEST, LATEST

PRODUCT = "-//Contentum CRM//Calendar 1.0//EN"


class FeedActivity(Protocol):
    """What a feed shows of an activity (a table row or anything with these attributes)."""

    id: UUID
    uid: str
    kind: str
    title: str
    note: str
    place: str | None
    phone: str | None
    status: str
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    time_zone: str
    rrule: str | None
    exdates: Sequence[datetime]
    reminders: Sequence[int]
    sequence: int
    created_at: datetime
    updated_at: datetime


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def escape(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11); control characters a TEXT cannot hold are dropped."""
    return (
        _CONTROL.sub("", value)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """One content line, folded at 75 octets without splitting a UTF-8 character."""
    if len(line) <= 75 and line.isascii():
        return line + "\r\n"
    pieces: list[str] = []
    piece: list[str] = []
    size, limit = 0, 75
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            pieces.append("".join(piece))
            piece, size, limit = [], 0, 74  # continuation lines start with a space
        piece.append(char)
        size += width
    pieces.append("".join(piece))
    return "\r\n ".join(pieces) + "\r\n"


def _utc(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return (
        f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"
        f"T{moment.hour:02d}{moment.minute:02d}{moment.second:02d}Z"
    )


def _local(moment: datetime, zone: tzinfo) -> str:
    moment = moment.astimezone(zone)
    return (
        f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"
        f"T{moment.hour:02d}{moment.minute:02d}{moment.second:02d}"
    )


def _day(moment: datetime, zone: tzinfo) -> str:
    moment = moment.astimezone(zone)
    return f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"


def _trigger(minutes: int) -> str:
    if minutes == 0:
        return "PT0S"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    clock = (f"{hours}H" if hours else "") + (f"{mins}M" if mins else "")
    return "-P" + (f"{days}D" if days else "") + (f"T{clock}" if clock else "")


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=64)
def vtimezone(name: str) -> str:
    """The VTIMEZONE of an IANA zone: its current yearly rules, or each transition listed.

    Rules (RRULE) are what most calendar programs write and what every parser reads; a zone whose
    transitions follow no yearly pattern gets them listed (RDATE) for 2000-2040.
    """
    lines = _yearly_rules(name)
    if lines is None:
        component = icalendar.Timezone.from_tzid(
            name, first_date=date(2000, 1, 1), last_date=date(2040, 1, 1)
        )
        text: str = component.to_ical().decode().replace("\r\n", "\n").replace("\n", "\r\n")
        return text
    return "".join(fold(line) for line in lines)


def _offset(delta: timedelta | None) -> str:
    minutes = int((delta or timedelta(0)).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def _transitions(name: str, year: int) -> list[tuple[datetime, timedelta, timedelta]]:
    """(local time before, offset before, offset after) of each change of offset in `year`."""
    found = []
    moment = datetime(year, 1, 1, tzinfo=UTC)
    before = moment.astimezone(zone(name)).utcoffset() or timedelta(0)
    while moment.year == year:
        step = moment + timedelta(hours=1)
        after = step.astimezone(zone(name)).utcoffset() or timedelta(0)
        if after != before:
            change = _first_minute(name, moment, after)
            found.append((change.replace(tzinfo=None) + before, before, after))
        moment, before = step, after
    return found


def _first_minute(name: str, hour: datetime, after: timedelta) -> datetime:
    """The minute within the hour from `hour` at which the zone's offset becomes `after`."""
    low, high = 0, 60  # the change happens after `low` minutes and by `high`
    while high - low > 1:
        middle = (low + high) // 2
        moment = hour + timedelta(minutes=middle)
        if moment.astimezone(zone(name)).utcoffset() == after:
            high = middle
        else:
            low = middle
    return hour + timedelta(minutes=high)


def _byday(local: datetime) -> str:
    weekday = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[local.weekday()]
    last = (local + timedelta(days=7)).month != local.month
    return f"-1{weekday}" if last else f"{(local.day - 1) // 7 + 1}{weekday}"


def _yearly_rules(name: str) -> list[str] | None:
    this_year = datetime.now(UTC).year
    years = [_transitions(name, year) for year in range(this_year - 1, this_year + 3)]
    pattern = [[(t.month, _byday(t), t.time(), a, b) for t, a, b in year] for year in years]
    if any(year != pattern[0] for year in pattern) or len(pattern[0]) not in (0, 2):
        return None
    lines = ["BEGIN:VTIMEZONE", f"TZID:{name}"]
    if not pattern[0]:
        offset = _offset(datetime(this_year, 1, 1, tzinfo=zone(name)).utcoffset())
        return [
            *lines,
            "BEGIN:STANDARD",
            "DTSTART:19700101T000000",
            f"TZOFFSETFROM:{offset}",
            f"TZOFFSETTO:{offset}",
            "END:STANDARD",
            "END:VTIMEZONE",
        ]
    for month, byday, clock, before, after in pattern[0]:
        kind = "DAYLIGHT" if after > before else "STANDARD"
        first = datetime(1970, month, 1)
        lines += [
            f"BEGIN:{kind}",
            f"DTSTART:{_first(first, byday, clock)}",
            f"RRULE:FREQ=YEARLY;BYMONTH={month};BYDAY={byday}",
            f"TZOFFSETFROM:{_offset(before)}",
            f"TZOFFSETTO:{_offset(after)}",
            f"END:{kind}",
        ]
    return [*lines, "END:VTIMEZONE"]


def _first(month_start: datetime, byday: str, clock: time) -> str:
    """The first date in 1970 matching BYDAY in that month, at `clock`."""
    weekday = ("MO", "TU", "WE", "TH", "FR", "SA", "SU").index(byday[-2:])
    days = [
        month_start + timedelta(days=n)
        for n in range(31)
        if (month_start + timedelta(days=n)).month == month_start.month
        and (month_start + timedelta(days=n)).weekday() == weekday
    ]
    nth = int(byday[:-2])
    day = days[nth - 1] if nth > 0 else days[nth]
    moment = datetime.combine(day.date(), clock)
    return moment.strftime("%Y%m%dT%H%M%S")


def _when(name: str, moment: datetime, activity: FeedActivity) -> str:
    if activity.all_day:
        return f"{name};VALUE=DATE:{_day(moment, zone(activity.time_zone))}"
    if activity.time_zone == "UTC":
        return f"{name}:{_utc(moment)}"
    return f"{name};TZID={activity.time_zone}:{_local(moment, zone(activity.time_zone))}"


_UNTIL_UTC = re.compile(r"UNTIL=(\d{8}T\d{6}Z)")


def _rule(activity: FeedActivity) -> str:
    """The RRULE as written: for all-day series UNTIL is a date, as their DTSTART is."""
    if not activity.all_day or activity.rrule is None:
        return activity.rrule or ""

    def as_date(match: re.Match[str]) -> str:
        moment = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return f"UNTIL={_day(moment, zone(activity.time_zone))}"

    return _UNTIL_UTC.sub(as_date, activity.rrule)


def vevent(activity: FeedActivity, link: str, stamp: str) -> Iterator[str]:
    """The content lines of one activity."""
    title = escape(activity.title)
    yield "BEGIN:VEVENT"
    yield f"UID:{escape(activity.uid)}"
    yield f"SEQUENCE:{activity.sequence}"
    yield f"DTSTAMP:{stamp}"
    yield f"CREATED:{_utc(activity.created_at)}"
    yield f"LAST-MODIFIED:{_utc(activity.updated_at)}"
    yield _when("DTSTART", activity.starts_at, activity)
    if activity.ends_at > activity.starts_at:
        yield _when("DTEND", activity.ends_at, activity)
    yield f"SUMMARY:{title}"
    description = activity.note + ("\n\n" if activity.note else "") + link
    yield f"DESCRIPTION:{escape(description)}"
    where = activity.place or activity.phone
    if where:
        yield f"LOCATION:{escape(where)}"
    yield f"CATEGORIES:{activity.kind.upper()}"
    yield f"X-CONTENTUM-KIND:{activity.kind}"
    yield "STATUS:" + ("CANCELLED" if activity.status == "cancelled" else "CONFIRMED")
    yield f"URL:{link}"
    if activity.rrule:
        yield f"RRULE:{_rule(activity)}"
        for moment in activity.exdates:
            if activity.all_day:
                yield f"EXDATE;VALUE=DATE:{_day(moment, zone(activity.time_zone))}"
            else:
                yield _when("EXDATE", moment, activity)
    for minutes in activity.reminders:
        yield "BEGIN:VALARM"
        yield "ACTION:DISPLAY"
        yield f"DESCRIPTION:{title}"
        yield f"TRIGGER:{_trigger(minutes)}"
        yield "END:VALARM"
    yield "END:VEVENT"


def render(activities: Iterable[FeedActivity], *, name: str, link: str, now: datetime) -> str:
    """A whole calendar; `link` holds `{id}` for the address of each activity in the CRM."""
    stamp = _utc(now)
    head = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    body: list[str] = []
    zones: set[str] = set()
    for activity in activities:
        if not activity.all_day and activity.time_zone != "UTC":
            zones.add(activity.time_zone)
        body.extend(fold(line) for line in vevent(activity, link.format(id=activity.id), stamp))
    parts = [fold(line) for line in head]
    parts.extend(vtimezone(name) for name in sorted(zones))
    parts.extend(body)
    parts.append("END:VCALENDAR\r\n")
    return "".join(parts)


class BadCalendar(ValueError):
    """The file cannot be imported; the message says where and why."""


@dataclass
class ImportedEvent:
    """One VEVENT of an imported file, in the calendar's terms; `number` counts every VEVENT."""

    number: int
    uid: str
    kind: str
    title: str
    note: str
    place: str | None
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    time_zone: str
    rrule: str | None
    exdates: list[datetime] = field(default_factory=list)
    reminders: list[int] = field(default_factory=list)
    cancelled: bool = False


def read(data: bytes, default_zone: str) -> tuple[list[ImportedEvent], int]:
    """The events of an iCalendar file, and how many changed occurrences (RECURRENCE-ID) were
    left out; any problem raises `BadCalendar` naming the event."""
    if b"\x00" in data:
        raise BadCalendar("not an iCalendar file: it holds a NUL character")
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except Exception as error:  # the parser raises several types for broken input
        raise BadCalendar(f"not an iCalendar file: {error}") from None
    if calendar.name != "VCALENDAR":
        raise BadCalendar("not an iCalendar file: it does not begin with BEGIN:VCALENDAR")
    events: list[ImportedEvent] = []
    skipped = 0
    for number, component in enumerate(calendar.walk("VEVENT"), start=1):
        if component.get("RECURRENCE-ID") is not None:
            skipped += 1  # a changed occurrence: the series itself is imported
            continue
        try:
            events.append(_event(component, default_zone, number))
        except (
            BadRule,
            BadCalendar,
            ValueError,
            TypeError,
            AttributeError,
            KeyError,
            OverflowError,
        ) as error:
            uid = component.get("UID", "")
            raise BadCalendar(f"event {number} ({uid or 'no UID'}): {error}") from None
    return events, skipped


def _zone_name(moment: datetime, default_zone: str) -> str:
    if moment.tzinfo is None:
        return default_zone
    if moment.utcoffset() == timedelta(0) and str(moment.tzinfo) in ("UTC", "UTC+00:00"):
        return "UTC"
    key = getattr(moment.tzinfo, "key", None) or getattr(moment.tzinfo, "zone", None)
    try:
        return zone(str(key)).key if key else default_zone
    except (ZoneInfoNotFoundError, ValueError):
        return default_zone


def _aware(value: date | datetime, zone_name: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone(zone_name))
    return datetime(value.year, value.month, value.day, tzinfo=zone(zone_name))


def _event(component: Any, default_zone: str, number: int) -> ImportedEvent:
    if component.get("DTSTART") is None:
        raise BadCalendar("DTSTART is missing")
    start_value = component.decoded("DTSTART")
    all_day = not isinstance(start_value, datetime)
    zone_name = default_zone if all_day else _zone_name(start_value, default_zone)
    starts_at = _aware(start_value, zone_name)
    if component.get("DTEND") is not None:
        ends_at = _aware(component.decoded("DTEND"), zone_name)
    elif component.get("DURATION") is not None:
        ends_at = starts_at + component.decoded("DURATION")
    else:
        ends_at = starts_at + (timedelta(days=1) if all_day else timedelta(0))
    if ends_at < starts_at:
        raise BadCalendar("DTEND is before DTSTART")
    if starts_at.date() < EARLIEST or ends_at.date() > LATEST:
        raise BadCalendar(f"its dates are not between {EARLIEST} and {LATEST}")
    kind = str(component.get("X-CONTENTUM-KIND", "")).lower()
    if kind not in KINDS:
        categories = component.get("CATEGORIES")
        names = {str(c).lower() for c in getattr(categories, "cats", [])} if categories else set()
        kind = next((k for k in KINDS if k in names), "task" if ends_at == starts_at else "meeting")
    uid = str(component.get("UID") or "").strip()
    if not uid:
        raise BadCalendar("UID is missing")
    rule = component.get("RRULE")
    if isinstance(rule, list):
        raise BadCalendar("more than one RRULE; one rule per event can be imported")
    rrule = normalise(rule.to_ical().decode(), zone(zone_name)) if rule is not None else None
    return ImportedEvent(
        number=number,
        uid=uid,
        kind=kind,
        title=str(component.get("SUMMARY", "")).strip() or "(no title)",
        note=str(component.get("DESCRIPTION", "")),
        place=str(component.get("LOCATION")) if component.get("LOCATION") else None,
        starts_at=starts_at,
        ends_at=ends_at,
        all_day=all_day,
        time_zone=zone_name,
        rrule=rrule,
        exdates=list(_exdates(component, zone_name)),
        reminders=sorted(set(_reminders(component, starts_at, ends_at))),
        cancelled=str(component.get("STATUS", "")).upper() == "CANCELLED",
    )


def _exdates(component: Any, zone_name: str) -> Iterator[datetime]:
    found = component.get("EXDATE")
    if found is None:
        return
    for item in found if isinstance(found, list) else [found]:
        for value in item.dts:
            yield _aware(value.dt, zone_name)


def _reminders(component: Any, starts_at: datetime, ends_at: datetime) -> Iterator[int]:
    """Minutes before the start of each alarm (one relative to the end is moved to the start)."""
    for alarm in component.walk("VALARM"):
        if alarm.get("TRIGGER") is None:
            continue
        trigger = alarm.decoded("TRIGGER")
        if isinstance(trigger, timedelta):
            related_end = str(alarm["TRIGGER"].params.get("RELATED", "START")).upper() == "END"
            before = (starts_at - (ends_at + trigger)) if related_end else -trigger
        elif isinstance(trigger, datetime):
            before = starts_at - _aware(trigger, "UTC")
        else:
            continue
        if timedelta(0) <= before <= timedelta(days=28):
            yield int(before.total_seconds() // 60)
