"""iCalendar feed: a feed of 10,000 activities against serialising the same events with `icalendar`.

One calendar database is filled with 10,000 activities of one manager (calls, meetings, letters
and tasks; a fifth of them weekly series with an exception; two reminders each; notes with
commas, semicolons and line breaks). The feed is fetched the way a phone fetches it, through the
use case behind `GET /api/calendar/feeds/{token}.ics`: token lookup, visibility, ETag, the query
and the rendering. The baseline builds the same events (same properties, alarms, time zone) as
`icalendar` components from rows already in memory and serialises them. Target: the feed takes
at most 1.5 x the baseline, medians of several rounds measured in one run.
"""

import argparse
import asyncio
import atexit
import hashlib
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import asyncpg
import icalendar
from sqlalchemy import select

from services.calendar.app import SPEC
from services.calendar.usecases.feeds import FEED_COLUMNS, render_feed
from shared.db import new_engine, new_session_factory
from shared.migrations import upgrade_async
from shared.postgres import async_url, asyncpg_dsn
from shared.testing.postgres import fresh_database, postgres_server_url

ACTIVITIES = 10_000
ROUNDS = 7
RATIO_TARGET = 1.5
ZONE = "Europe/Warsaw"
LINK = "https://crm.example.pl/calendar?activity={id}"
KINDS = ("call", "meeting", "letter", "task")


def rows(count: int, owner: Any) -> list[tuple[Any, ...]]:
    """The activities: spread over the year ahead, every fifth a weekly series."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    made: list[tuple[Any, ...]] = []
    for number in range(count):
        kind = KINDS[number % 4]
        begins = start + timedelta(hours=7 * number)
        ends = begins + timedelta(minutes=45) if kind in ("call", "meeting") else begins
        series = number % 5 == 0
        made.append(
            (
                uuid4(),
                f"bench-{number}@contentum-crm",
                kind,
                f"Rozmowa {number}: oferta, rabat; termin",
                f"Notatka {number}\nklient prosi o ofertę, do piątku; pilne",
                owner,
                [],
                begins,
                ends,
                False,
                ZONE,
                f"ul. Długa {number}, Gdańsk" if kind == "meeting" else None,
                "+48 600 100 200" if kind == "call" else None,
                "FREQ=WEEKLY;COUNT=10" if series else None,
                [begins + timedelta(weeks=2)] if series else [],
                None if not series else begins + timedelta(weeks=9, minutes=45),
                [10, 60],
                "scheduled",
                number % 3,
                owner,
            )
        )
    return made


COLUMNS = (
    "id",
    "uid",
    "kind",
    "title",
    "note",
    "owner_id",
    "participant_ids",
    "starts_at",
    "ends_at",
    "all_day",
    "time_zone",
    "place",
    "phone",
    "rrule",
    "exdates",
    "recurs_until",
    "reminders",
    "status",
    "sequence",
    "created_by",
)


async def load(database_url: str, count: int) -> tuple[str, float]:
    """Migrate, fill, and make a feed; returns its token and the seconds the load took."""
    started = time.perf_counter()
    await upgrade_async(SPEC.migrations, async_url(database_url))
    owner = uuid4()
    token = "bench-" + uuid4().hex
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.copy_records_to_table(
            "activity", records=rows(count, owner), columns=COLUMNS
        )
        await connection.execute(
            "INSERT INTO feed (id, owner_id, token_hash) VALUES ($1, $2, $3)",
            uuid4(),
            owner,
            hashlib.sha256(token.encode()).hexdigest(),
        )
        await connection.execute("VACUUM ANALYZE activity")
    finally:
        await connection.close()
    return token, time.perf_counter() - started


def with_icalendar(activities: Sequence[Any], now: datetime) -> bytes:
    """The baseline: the same events as `icalendar` components, serialised."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Contentum CRM//Calendar 1.0//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Contentum CRM")
    calendar.add_component(icalendar.Timezone.from_tzid(ZONE))
    zone = ZoneInfo(ZONE)
    for activity in activities:
        event = icalendar.Event()
        link = LINK.format(id=activity.id)
        event.add("uid", activity.uid)
        event.add("sequence", activity.sequence)
        event.add("dtstamp", now)
        event.add("created", activity.created_at)
        event.add("last-modified", activity.updated_at)
        event.add("dtstart", activity.starts_at.astimezone(zone))
        if activity.ends_at > activity.starts_at:
            event.add("dtend", activity.ends_at.astimezone(zone))
        event.add("summary", activity.title)
        event.add("description", f"{activity.note}\n\n{link}")
        if activity.place or activity.phone:
            event.add("location", activity.place or activity.phone)
        event.add("categories", [activity.kind.upper()])
        event.add("x-contentum-kind", activity.kind)
        event.add("status", "CONFIRMED")
        event.add("url", link)
        if activity.rrule:
            event.add("rrule", icalendar.vRecur.from_ical(activity.rrule))
            for moment in activity.exdates:
                event.add("exdate", moment.astimezone(zone))
        for minutes in activity.reminders:
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", activity.title)
            alarm.add("trigger", timedelta(minutes=-minutes))
            event.add_component(alarm)
        calendar.add_component(event)
    serialised: bytes = calendar.to_ical()
    return serialised


def median_seconds(rounds: int, measure: Callable[[], Any]) -> tuple[float, Any]:
    timings, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = measure()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), result


async def run(args: argparse.Namespace, server_url: str) -> str:
    database_url = await fresh_database(server_url, "calendar_feed")
    token, load_s = await load(database_url, args.activities)
    engine = new_engine(async_url(database_url))
    sessions = new_session_factory(engine)
    try:

        async def feed() -> str:
            content = await render_feed(
                sessions, token, link=LINK, if_none_match=None, name="Contentum CRM"
            )
            assert content.body is not None
            return content.body

        await feed()  # warm: connections, caches, the time zone
        timings = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            body = await feed()
            timings.append(time.perf_counter() - started)
        ours = statistics.median(timings)
        async with sessions() as session:
            loaded = (await session.execute(select(*FEED_COLUMNS))).all()
    finally:
        await engine.dispose()
    now = datetime.now(UTC)
    with_icalendar(loaded[:100], now)  # warm
    baseline, serialised = median_seconds(args.rounds, lambda: with_icalendar(loaded, now))
    ours_events = icalendar.Calendar.from_ical(body).walk("VEVENT")
    theirs_events = icalendar.Calendar.from_ical(serialised).walk("VEVENT")
    assert len(ours_events) == len(theirs_events) == args.activities
    ours_alarms = sum(len(e.walk("VALARM")) for e in ours_events)
    assert ours_alarms == sum(len(e.walk("VALARM")) for e in theirs_events)
    ratio = ours / baseline
    verdict = "PASS" if ratio <= RATIO_TARGET else "FAIL"
    return "\n".join(
        [
            f"feed of {args.activities:,} activities ({ours_alarms:,} alarms), median of "
            f"{args.rounds} rounds:",
            f"  feed (token, ETag, query, rendering): {ours * 1000:8.1f} ms  "
            f"({len(body.encode()) / 1e6:.1f} MB)",
            f"  icalendar (build + serialise, rows in memory): {baseline * 1000:8.1f} ms  "
            f"({len(serialised) / 1e6:.1f} MB)",
            f"  ratio feed / icalendar: {ratio:.2f} (target <= {RATIO_TARGET}) {verdict}",
            f"loading {args.activities:,} activities: {load_s:.1f} s",
        ]
    )


def scratch_dir() -> Path:
    """A temp dir for the embedded PostgreSQL, removed at exit after the server stops."""
    path = Path(tempfile.mkdtemp(prefix="crm-bench-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--activities", type=int, default=ACTIVITIES)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Always exit 0: a benchmark reports, it does not gate."""
    args = parse_args(argv)
    try:
        print(asyncio.run(run(args, postgres_server_url(scratch_dir()))))
    except Exception:
        traceback.print_exc()
        print("calendar_feed: nothing measured (see the error above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
