"""VTIMEZONE components (RFC 5545 §3.6.5) computed from the IANA database (`zoneinfo`).

A zone whose changes of offset follow one yearly rule over the span an export covers is written
as that rule (RRULE), which every parser reads. Any other zone (Asia/Gaza, Africa/Casablanca,
America/Santiago in some years) gets its transitions in that span listed, one RDATE per line, so
parsers that read only part of a multi-valued RDATE still agree with `zoneinfo`.
"""

from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


Transition = tuple[datetime, timedelta, timedelta]  # local time before, offset before, after


def _offset_at(name: str, moment: datetime) -> timedelta:
    return moment.astimezone(zone(name)).utcoffset() or timedelta(0)


@lru_cache(maxsize=1024)
def transitions(name: str, year: int) -> tuple[Transition, ...]:
    """Each change of offset in `year`, found hour by hour and then to the minute."""
    found = []
    moment = datetime(year, 1, 1, tzinfo=UTC)
    before = _offset_at(name, moment)
    while moment.year == year:
        step = moment + timedelta(hours=1)
        after = _offset_at(name, step)
        if after != before:
            change = _first_minute(name, moment, after)
            found.append((change.replace(tzinfo=None) + before, before, after))
        moment, before = step, after
    return tuple(found)


def _first_minute(name: str, hour: datetime, after: timedelta) -> datetime:
    """The minute within the hour from `hour` at which the zone's offset becomes `after`."""
    low, high = 0, 60  # the change happens after `low` minutes and by `high`
    while high - low > 1:
        middle = (low + high) // 2
        if _offset_at(name, hour + timedelta(minutes=middle)) == after:
            high = middle
        else:
            low = middle
    return hour + timedelta(minutes=high)


def offset(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def _byday(local: datetime) -> str:
    weekday = WEEKDAYS[local.weekday()]
    last = (local + timedelta(days=7)).month != local.month
    return f"-1{weekday}" if last else f"{(local.day - 1) // 7 + 1}{weekday}"


def _kind(before: timedelta, after: timedelta) -> str:
    return "DAYLIGHT" if after > before else "STANDARD"


def _component(kind: str, start: datetime, before: timedelta, after: timedelta) -> list[str]:
    return [
        f"BEGIN:{kind}",
        f"DTSTART:{_stamp(start)}",
        f"TZOFFSETFROM:{offset(before)}",
        f"TZOFFSETTO:{offset(after)}",
    ]


def _yearly(name: str, first: int, last: int) -> list[str] | None:
    """The zone as yearly rules, when every year of the span changes on the same rule."""
    years = [transitions(name, year) for year in range(first, last + 1)]
    patterns = {tuple((t.month, _byday(t), t.time(), a, b) for t, a, b in year) for year in years}
    if len(patterns) != 1:
        return None
    [pattern] = patterns
    if len(pattern) not in (0, 2):
        return None
    if not pattern:
        fixed = _offset_at(name, datetime(first, 1, 1, tzinfo=UTC))
        return [*_component("STANDARD", datetime(1970, 1, 1), fixed, fixed), "END:STANDARD"]
    lines = []
    for month, byday, clock, before, after in pattern:
        kind = _kind(before, after)
        lines += _component(kind, _first_in_1970(month, byday, clock), before, after)
        lines += [f"RRULE:FREQ=YEARLY;BYMONTH={month};BYDAY={byday}", f"END:{kind}"]
    return lines


def _first_in_1970(month: int, byday: str, clock: time) -> datetime:
    """The day of `month` in 1970 that BYDAY names, at `clock`."""
    weekday = WEEKDAYS.index(byday[-2:])
    start = datetime(1970, month, 1)
    days = [
        start + timedelta(days=n)
        for n in range(31)
        if (start + timedelta(days=n)).month == month
        and (start + timedelta(days=n)).weekday() == weekday
    ]
    nth = int(byday[:-2])
    return datetime.combine((days[nth - 1] if nth > 0 else days[nth]).date(), clock)


def _listed(name: str, first: int, last: int) -> list[str]:
    """The offset at the span's start, then each transition of the span, grouped by kind and
    offsets: the first as DTSTART, every other one as an RDATE line of its own."""
    groups: dict[tuple[str, timedelta, timedelta], list[datetime]] = {}
    for year in range(first, last + 1):
        for local, before, after in transitions(name, year):
            groups.setdefault((_kind(before, after), before, after), []).append(local)
    initial = _offset_at(name, datetime(first, 1, 1, tzinfo=UTC))
    lines = [*_component("STANDARD", datetime(first - 1, 12, 31), initial, initial)]
    lines.append("END:STANDARD")
    for (kind, before, after), moments in groups.items():
        lines += _component(kind, moments[0], before, after)
        lines += [f"RDATE:{_stamp(moment)}" for moment in moments[1:]]
        lines.append(f"END:{kind}")
    return lines


@lru_cache(maxsize=256)
def vtimezone(name: str, first: int, last: int) -> tuple[str, ...]:
    """The content lines of the VTIMEZONE of `name` for events in the years `first`..`last`."""
    body = _yearly(name, first, last) or _listed(name, first, last)
    return ("BEGIN:VTIMEZONE", f"TZID:{name}", *body, "END:VTIMEZONE")
