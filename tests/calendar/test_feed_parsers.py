"""A feed reads alike in every parser: ical.js (npm), vobject, icalendar with
recurring-ical-events, and what `zoneinfo` says, for zones with and without yearly rules."""

import hashlib
import io
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
import vobject

from tests.calendar.conftest import Calendar, Hire, group
from tests.calendar.test_feeds import fetch, subscribe

JS = Path(__file__).parent / "js"
ZONES = ("Europe/Warsaw", "Asia/Gaza", "Africa/Casablanca", "America/Santiago")
WEEKS = 105  # two years of a weekly series


@pytest.fixture(scope="session")
def icaljs() -> Iterator[Path]:
    """ical.js from npm (`npm ci` of tests/calendar/js into a cache kept between runs)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Node.js and npm are required under CI (ical.js)")
        pytest.skip("no node or npm on this machine: ical.js cannot be run")
    lock = (JS / "package-lock.json").read_bytes()
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "contentum-crm"
    place = cache / f"icaljs-{hashlib.sha256(lock).hexdigest()[:12]}"
    for name in ("package.json", "package-lock.json", "occurrences.mjs"):
        place.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(JS / name, place / name)
    if not (place / "node_modules" / "ical.js").exists():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=place,
            check=True,
            capture_output=True,
            timeout=300,
        )
    yield place


def next_monday_at_ten(zone: str) -> datetime:
    today = datetime.now(ZoneInfo(zone)).date() + timedelta(days=7)
    monday = today - timedelta(days=today.weekday())
    return datetime(monday.year, monday.month, monday.day, 10, tzinfo=ZoneInfo(zone))


def expected(zone: str) -> list[datetime]:
    """Ten o'clock on the wall clock every Monday, as `zoneinfo` places it in time."""
    first = next_monday_at_ten(zone)
    days = [first.date() + timedelta(weeks=n) for n in range(WEEKS)]
    return [
        datetime(d.year, d.month, d.day, 10, tzinfo=ZoneInfo(zone)).astimezone(UTC) for d in days
    ]


def with_icaljs(place: Path, feed: str, until: datetime) -> dict[str, list[datetime]]:
    path = place / "feed.ics"
    path.write_text(feed, encoding="utf-8")
    done = subprocess.run(
        ["node", "occurrences.mjs", str(path), until.isoformat()],
        cwd=place,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    found = json.loads(done.stdout)
    return {
        uid: [datetime.fromisoformat(s.replace("Z", "+00:00")) for s in starts]
        for uid, starts in found.items()
    }


def with_vobject(feed: str) -> dict[str, list[datetime]]:
    parsed = vobject.readOne(io.StringIO(feed))
    return {e.uid.value: [m.astimezone(UTC) for m in e.getrruleset()] for e in parsed.vevent_list}


def with_recurring_ical_events(feed: str, until: datetime) -> dict[str, list[datetime]]:
    found: dict[str, list[datetime]] = {}
    calendar = icalendar.Calendar.from_ical(feed)
    start = datetime.now(UTC) - timedelta(days=1)
    for occurrence in recurring_ical_events.of(calendar).between(start, until):
        moment = occurrence.decoded("DTSTART").astimezone(UTC)
        found.setdefault(str(occurrence["UID"]), []).append(moment)
    return {uid: sorted(starts) for uid, starts in found.items()}


async def test_two_years_of_a_weekly_series_agree_in_every_parser_and_zone(
    calendar: Calendar, hire: Hire, icaljs: Path
) -> None:
    anna = await hire("manager", group())
    uids = {}
    for zone in ZONES:
        first = next_monday_at_ten(zone)
        body = {
            "kind": "call",
            "title": f"Przegląd {zone}",
            "start": first.isoformat(),
            "end": (first + timedelta(minutes=30)).isoformat(),
            "time_zone": zone,
            "rrule": f"FREQ=WEEKLY;COUNT={WEEKS}",
        }
        created = await calendar.call(anna, "POST", "/api/activities", json=body)
        assert created.status_code == 201, created.text
        uids[zone] = created.json()["uid"]
    feed = (await fetch(calendar, await subscribe(calendar, anna))).text
    assert "RDATE:" in feed  # zones without a yearly rule list their transitions
    until = datetime.now(UTC) + timedelta(days=366 * 3)
    readers = {
        "ical.js": with_icaljs(icaljs, feed, until),
        "vobject": with_vobject(feed),
        "recurring-ical-events": with_recurring_ical_events(feed, until),
    }
    for zone, uid in uids.items():
        for reader, found in readers.items():
            assert found[uid] == expected(zone), (zone, reader)
