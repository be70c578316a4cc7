"""iCalendar read into the calendar's terms: `.ics` imports and the objects CalDAV clients put.

Files are parsed with `icalendar`, which copes with what other programs write. A series' changed
occurrences (VEVENTs with the series' UID and a RECURRENCE-ID) come with their series: a moved
one becomes an occurrence of its own, a cancelled one an exception. Texts and lists are held to
the limits the API enforces (`limits.py`).
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

import icalendar

from services.calendar.domain import limits
from services.calendar.domain.kinds import KINDS
from services.calendar.domain.recurrence import BadRule, normalise, starts_between
from services.calendar.domain.vtimezone import zone
from shared.schemas import EARLIEST, LATEST
from shared.text import N_

# Category names a kind is known by, in English and Polish (compared case-insensitively).
KIND_NAMES = {
    "call": ("call", "phone call", "telefon", "rozmowa", "rozmowa telefoniczna"),
    "meeting": ("meeting", "spotkanie"),
    "letter": ("letter", "list", "pismo"),
    "task": ("task", "zadanie"),
}
# What the CRM models of a VEVENT (or writes itself); anything else a client wrote is kept aside.
MODELLED = frozenset(
    [
        "UID",
        "DTSTAMP",
        "DTSTART",
        "DTEND",
        "DURATION",
        "SUMMARY",
        "DESCRIPTION",
        "LOCATION",
        "CATEGORIES",
        "RRULE",
        "EXDATE",
        "RDATE",
        "STATUS",
        "SEQUENCE",
        "CREATED",
        "LAST-MODIFIED",
        "URL",
        "ORGANIZER",
        "RECURRENCE-ID",
        "X-CONTENTUM-KIND",
        "BEGIN",
        "END",
    ]
)
MAX_EXTRA = 8000  # characters of properties kept aside per event


class BadCalendar(ValueError):
    """The data cannot be imported: `message` says why (a msgid where a person may see it),
    `reason` where, in the parser's words."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(f"{message}: {reason}" if reason else message)
        self.message, self.reason = message, reason


NOT_ICALENDAR = N_("not an iCalendar file")


class Unsupported(BadCalendar):
    """A component the calendar does not hold (VTODO, VJOURNAL)."""


@dataclass
class ImportedEvent:
    """One event in the calendar's terms; `number` counts every VEVENT of the file."""

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
    rdates: list[datetime] = field(default_factory=list)
    reminders: list[int] = field(default_factory=list)
    cancelled: bool = False
    extra: str = ""  # properties not modelled, as content lines, kept for CalDAV clients
    recurrence_id: datetime | None = None  # an override: the start of the occurrence it changes
    overrides: list["ImportedEvent"] = field(default_factory=list)


def _calendar(data: bytes) -> Any:
    if b"\x00" in data:
        raise BadCalendar(NOT_ICALENDAR, "it holds a NUL character")
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except Exception as error:  # the parser raises several types for broken input
        raise BadCalendar(NOT_ICALENDAR, str(error)) from None
    if calendar.name != "VCALENDAR":
        raise BadCalendar(NOT_ICALENDAR, "it does not begin with BEGIN:VCALENDAR")
    return calendar


def read(data: bytes, default_zone: str) -> tuple[list[ImportedEvent], int]:
    """The events of an iCalendar file, and how many changed occurrences match no occurrence of
    their series (left out); any problem raises `BadCalendar` naming the event."""
    calendar = _calendar(data)
    events: dict[str, ImportedEvent] = {}
    changed: list[tuple[int, Any]] = []
    for number, component in enumerate(calendar.walk("VEVENT"), start=1):
        if component.get("RECURRENCE-ID") is not None:
            changed.append((number, component))
            continue
        event = _named(number, component, default_zone)
        events.setdefault(event.uid, event)
    skipped = 0
    for number, component in changed:
        override = _named(number, component, default_zone)
        series = events.get(override.uid)
        if series is None:  # a changed occurrence alone: an event of its own
            override.uid = f"{override.uid}/{_stamp(override.recurrence_id)}"
            override.recurrence_id = None
            events.setdefault(override.uid, override)
        elif not _attach(series, override):
            skipped += 1
    return list(events.values()), skipped


def read_object(data: bytes, default_zone: str) -> ImportedEvent:
    """The one event of a CalDAV calendar object resource, with its overrides and the lines
    the CRM does not model."""
    calendar = _calendar(data)
    if any(True for _ in calendar.walk("VTODO")) or any(True for _ in calendar.walk("VJOURNAL")):
        raise Unsupported("this calendar holds events (VEVENT) only")
    components = list(calendar.walk("VEVENT"))
    if len({str(c.get("UID", "")) for c in components}) != 1:
        raise BadCalendar("a calendar object holds the events of one UID")
    masters = [c for c in components if c.get("RECURRENCE-ID") is None]
    if len(masters) != 1:
        raise BadCalendar("a calendar object holds one event (and its changed occurrences)")
    event = _named(1, masters[0], default_zone, keep=True)
    for number, component in enumerate(components, start=1):
        if component.get("RECURRENCE-ID") is not None:
            override = _named(number, component, default_zone)
            if not _attach(event, override):
                raise BadCalendar("RECURRENCE-ID names no occurrence of the series")
    return event


def _named(number: int, component: Any, default_zone: str, *, keep: bool = False) -> ImportedEvent:
    """The event read from `component`; a problem names the event by number and UID."""
    try:
        return _event(component, default_zone, number, keep=keep)
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


def _attach(series: ImportedEvent, override: ImportedEvent) -> bool:
    """Add a changed occurrence to its series, if it names one of the series' occurrences."""
    moment = override.recurrence_id
    if series.rrule is None or moment is None:
        return False
    found = starts_between(
        series.starts_at,
        series.rrule,
        (),
        zone(series.time_zone),
        moment - timedelta(seconds=1),
        moment + timedelta(seconds=1),
        rdates=series.rdates,
    )
    if moment not in found:
        return False
    series.overrides = [o for o in series.overrides if o.recurrence_id != moment] + [override]
    return True


def _stamp(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


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


def kind_of(component: Any, timed: bool) -> str:
    """The kind a category names (the user may have changed it), else the one the CRM wrote,
    else a meeting (a task when the event takes no time)."""
    names: set[str] = set()
    found = component.get("CATEGORIES")
    for item in found if isinstance(found, list) else [found] if found else []:
        names |= {str(name).strip().casefold() for name in getattr(item, "cats", [])}
    for candidate, known in KIND_NAMES.items():
        if names & set(known):
            return candidate
    kind = str(component.get("X-CONTENTUM-KIND", "")).lower()
    if kind in KINDS:
        return kind
    return "meeting" if timed else "task"


def _text(component: Any, name: str, limit: int) -> str:
    value = str(component.get(name, ""))
    if len(value) > limit:
        raise BadCalendar(f"{name} is longer than {limit} characters")
    return value


def _event(component: Any, default_zone: str, number: int, *, keep: bool = False) -> ImportedEvent:
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
    uid = str(component.get("UID") or "").strip()
    if not uid:
        raise BadCalendar("UID is missing")
    rule = component.get("RRULE")
    if isinstance(rule, list):
        raise BadCalendar("more than one RRULE; one rule per event can be imported")
    rrule = normalise(rule.to_ical().decode(), zone(zone_name)) if rule is not None else None
    rdates = list(_dates(component, "RDATE", zone_name))
    if rdates and rrule is None:  # extra dates alone: the start, once, and those dates
        rrule = "FREQ=DAILY;COUNT=1"
    exdates = list(_dates(component, "EXDATE", zone_name)) if rrule else []
    reminders = sorted(set(_reminders(component, starts_at, ends_at)))
    place = _text(component, "LOCATION", limits.PLACE_LENGTH).strip()
    recurrence = component.get("RECURRENCE-ID")
    event = ImportedEvent(
        number=number,
        uid=uid,
        kind=kind_of(component, ends_at > starts_at),
        title=_text(component, "SUMMARY", limits.TITLE_LENGTH).strip() or "(no title)",
        note=_text(component, "DESCRIPTION", limits.NOTE_LENGTH),
        place=place or None,
        starts_at=starts_at,
        ends_at=ends_at,
        all_day=all_day,
        time_zone=zone_name,
        rrule=rrule,
        exdates=exdates,
        rdates=rdates,
        reminders=reminders,
        cancelled=str(component.get("STATUS", "")).upper() == "CANCELLED",
        extra=_extra(component) if keep else "",
        recurrence_id=_aware(recurrence.dt, zone_name) if recurrence is not None else None,
    )
    _check_counts(event)
    return event


def _check_counts(event: ImportedEvent) -> None:
    if len(event.reminders) > limits.MAX_REMINDERS:
        raise BadCalendar(f"at most {limits.MAX_REMINDERS} alarms (VALARM)")
    for name, dates in (("EXDATE", event.exdates), ("RDATE", event.rdates)):
        if len(dates) > limits.MAX_DATES:
            raise BadCalendar(f"at most {limits.MAX_DATES} dates in {name}")


def _dates(component: Any, name: str, zone_name: str) -> Iterator[datetime]:
    found = component.get(name)
    if found is None:
        return
    for item in found if isinstance(found, list) else [found]:
        for value in item.dts:
            if isinstance(value.dt, tuple):  # RDATE as a period: its start
                yield _aware(value.dt[0], zone_name)
            else:
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
        if timedelta(0) <= before <= timedelta(minutes=limits.MAX_MINUTES):
            yield int(before.total_seconds() // 60)


_FOLDED = re.compile(r"\r?\n[ \t]")


def _extra(component: Any) -> str:
    """The event's own properties the CRM does not model, as unfolded content lines."""
    lines = _FOLDED.sub("", component.to_ical().decode()).splitlines()
    kept: list[str] = []
    depth, size = 0, 0
    for line in lines:
        name = re.split(r"[;:]", line, maxsplit=1)[0].upper()
        if name == "BEGIN":
            depth += 1
        elif name == "END":
            depth -= 1
        elif depth == 1 and name not in MODELLED and size + len(line) <= MAX_EXTRA:
            kept.append(line)
            size += len(line) + 1
    return "\n".join(kept)
