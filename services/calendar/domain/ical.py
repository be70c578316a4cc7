"""iCalendar (RFC 5545) written by the CRM: the feeds, and the calendar objects CalDAV serves.

Feeds are written directly as text: a feed of thousands of activities is fetched by phones every
few minutes, and building a component tree per event costs several times more than the text.
"""

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Protocol
from uuid import UUID

from services.calendar.domain.recurrence import MAX_SPAN
from services.calendar.domain.vtimezone import vtimezone, zone

PRODUCT = "-//Contentum CRM//Calendar 1.0//EN"


class FeedActivity(Protocol):
    """What a feed shows of an activity (a table row or anything with these attributes)."""

    id: UUID
    uid: str
    kind: str
    title: str
    note: str
    owner_id: UUID
    place: str | None
    phone: str | None
    status: str
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    time_zone: str
    rrule: str | None
    exdates: list[datetime]
    rdates: list[datetime]
    recurs_until: datetime | None
    reminders: list[int]
    sequence: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Organizer:
    """Whose activity it is, as ORGANIZER names them."""

    name: str
    email: str


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


def _quoted(value: str) -> str:
    """A parameter value (CN=...): quoted, without the characters a quoted value cannot hold."""
    return '"' + _CONTROL.sub("", value).replace('"', "'").replace("\n", " ") + '"'


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


def utc(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return (
        f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"
        f"T{moment.hour:02d}{moment.minute:02d}{moment.second:02d}Z"
    )


def _local(moment: datetime, where: tzinfo) -> str:
    moment = moment.astimezone(where)
    return (
        f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"
        f"T{moment.hour:02d}{moment.minute:02d}{moment.second:02d}"
    )


def _day(moment: datetime, where: tzinfo) -> str:
    moment = moment.astimezone(where)
    return f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"


def _trigger(minutes: int) -> str:
    if minutes == 0:
        return "PT0S"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    clock = (f"{hours}H" if hours else "") + (f"{mins}M" if mins else "")
    return "-P" + (f"{days}D" if days else "") + (f"T{clock}" if clock else "")


def _when(name: str, moment: datetime, activity: FeedActivity) -> str:
    if activity.all_day:
        return f"{name};VALUE=DATE:{_day(moment, zone(activity.time_zone))}"
    if activity.time_zone == "UTC":
        return f"{name}:{utc(moment)}"
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


@dataclass(frozen=True)
class Shown:
    """How one event is written: the feed adds the CRM's link to the description; CalDAV keeps
    the description the user's own and writes the lines it was given but does not model."""

    link: str
    stamp: str
    organizer: Organizer | None = None
    link_in_description: bool = True
    extra: str = ""
    uid: str | None = None  # an override carries its series' UID
    recurrence_id: datetime | None = None
    series: FeedActivity | None = None  # for RECURRENCE-ID in the series' form
    overridden: frozenset[datetime] = frozenset()  # occurrences written as overrides, not EXDATE
    alarms: bool = True  # its reminders as VALARMs (not in a head's feed of someone else's call)


def vevent(activity: FeedActivity, shown: Shown) -> Iterator[str]:
    """The content lines of one activity."""
    title = escape(activity.title)
    yield "BEGIN:VEVENT"
    yield f"UID:{escape(shown.uid or activity.uid)}"
    if shown.recurrence_id is not None and shown.series is not None:
        yield _when("RECURRENCE-ID", shown.recurrence_id, shown.series)
    yield f"SEQUENCE:{activity.sequence}"
    yield f"DTSTAMP:{shown.stamp}"
    yield f"CREATED:{utc(activity.created_at)}"
    yield f"LAST-MODIFIED:{utc(activity.updated_at)}"
    yield _when("DTSTART", activity.starts_at, activity)
    if activity.ends_at > activity.starts_at:
        yield _when("DTEND", activity.ends_at, activity)
    yield f"SUMMARY:{title}"
    description = activity.note
    if shown.link_in_description:
        description += ("\n\n" if activity.note else "") + shown.link
    if description:
        yield f"DESCRIPTION:{escape(description)}"
    where = activity.place or activity.phone
    if where:
        yield f"LOCATION:{escape(where)}"
    if shown.organizer is not None and shown.organizer.email:
        yield f"ORGANIZER;CN={_quoted(shown.organizer.name)}:mailto:{shown.organizer.email}"
    yield f"CATEGORIES:{activity.kind.upper()}"
    yield f"X-CONTENTUM-KIND:{activity.kind}"
    yield "STATUS:" + ("CANCELLED" if activity.status == "cancelled" else "CONFIRMED")
    yield f"URL:{shown.link}"
    if activity.rrule:
        yield f"RRULE:{_rule(activity)}"
        skipped = [moment for moment in activity.exdates if moment not in shown.overridden]
        yield from (_when("EXDATE", moment, activity) for moment in skipped)
        yield from (_when("RDATE", moment, activity) for moment in activity.rdates)
    yield from shown.extra.splitlines()
    if activity.status != "cancelled" and shown.alarms:  # nothing to be reminded of
        for minutes in activity.reminders:
            yield "BEGIN:VALARM"
            yield "ACTION:DISPLAY"
            yield f"DESCRIPTION:{title}"
            yield f"TRIGGER:{_trigger(minutes)}"
            yield "END:VALARM"
    yield "END:VEVENT"


def _last_end(activity: FeedActivity) -> datetime:
    if not activity.rrule:
        return activity.ends_at
    return activity.recurs_until or max(activity.starts_at, datetime.now(UTC)) + MAX_SPAN


def _zones(activities: Iterable[FeedActivity]) -> str:
    """The VTIMEZONE of every zone the events use, each for the years its events cover."""
    spans: dict[str, tuple[int, int]] = {}
    for activity in activities:
        if activity.all_day or activity.time_zone == "UTC":
            continue
        first, last = activity.starts_at.year, _last_end(activity).year
        known = spans.get(activity.time_zone, (first, last))
        spans[activity.time_zone] = (min(known[0], first), max(known[1], last))
    return "".join(
        fold(line)
        for name, (first, last) in sorted(spans.items())
        for line in vtimezone(name, first - 1, last + 1)
    )


def _head(*extra: str) -> list[str]:
    return ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODUCT}", "CALSCALE:GREGORIAN", *extra]


def render(
    activities: Iterable[FeedActivity],
    *,
    name: str,
    link: str,
    now: datetime,
    organizers: Mapping[UUID, Organizer],
    alarms_for: UUID | None = None,
) -> str:
    """A whole calendar; `link` holds `{id}` for the address of each activity in the CRM. With
    `alarms_for`, only that person's own activities carry their reminders: a head subscribed
    to the group's calendar is not woken by every manager's call."""
    stamp = utc(now)
    listed = list(activities)
    parts = [fold(line) for line in _head("METHOD:PUBLISH", f"X-WR-CALNAME:{escape(name)}")]
    parts.append(_zones(listed))
    for activity in listed:
        shown = Shown(
            link=link.format(id=activity.id),
            stamp=stamp,
            organizer=organizers.get(activity.owner_id),
            alarms=alarms_for is None or activity.owner_id == alarms_for,
        )
        parts.extend(fold(line) for line in vevent(activity, shown))
    parts.append("END:VCALENDAR\r\n")
    return "".join(parts)


def calendar_object(
    series: FeedActivity,
    overrides: Sequence[tuple[datetime, FeedActivity]],
    *,
    link: str,
    organizer: Organizer | None,
    extra: str,
) -> str:
    """One activity as a CalDAV resource: its changed occurrences as overrides (RECURRENCE-ID)
    of the same UID, the description the user's own, and the lines kept from the client."""
    stamp = utc(series.updated_at)
    parts = [fold(line) for line in _head()]
    parts.append(_zones([series, *(child for _, child in overrides)]))
    master = Shown(
        link=link.format(id=series.id),
        stamp=stamp,
        organizer=organizer,
        link_in_description=False,
        extra=extra,
        overridden=frozenset(occurrence for occurrence, _ in overrides),
    )
    parts.extend(fold(line) for line in vevent(series, master))
    for occurrence, child in overrides:
        shown = Shown(
            link=link.format(id=child.id),
            stamp=stamp,
            organizer=organizer,
            link_in_description=False,
            uid=series.uid,
            recurrence_id=occurrence,
            series=series,
        )
        parts.extend(fold(line) for line in vevent(child, shown))
    parts.append("END:VCALENDAR\r\n")
    return "".join(parts)
