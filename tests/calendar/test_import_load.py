"""A large `.ics` file is read and imported while the service goes on answering."""

import asyncio
import time
from datetime import UTC, datetime, timedelta

from tests.calendar.conftest import Calendar, Hire, group


def calendar_of(events: int) -> bytes:
    """An iCalendar file of `events` half-hour meetings an hour apart, every tenth weekly."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Contentum//Test//EN"]
    first = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    for number in range(events):
        start = first + timedelta(hours=number)
        lines += [
            "BEGIN:VEVENT",
            f"UID:load-{number}@example.com",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
            f"DTEND:{start + timedelta(minutes=30):%Y%m%dT%H%M%SZ}",
            f"SUMMARY:Spotkanie {number}",
            *(["RRULE:FREQ=WEEKLY;COUNT=10"] if number % 10 == 0 else []),
            "END:VEVENT",
        ]
    return "\r\n".join([*lines, "END:VCALENDAR"]).encode()


async def test_5000_events_import_while_other_requests_are_answered(
    calendar: Calendar, hire: Hire, settled_gc: None
) -> None:
    anna = await hire("manager", group())
    started = time.perf_counter()
    importing = asyncio.create_task(
        calendar.call(
            anna, "POST", "/api/calendar/import", files={"file": ("big.ics", calendar_of(5000))}
        )
    )
    waits = []
    while not importing.done():
        asked = time.perf_counter()
        assert (await calendar.client.get("/healthz")).status_code == 200
        waits.append(time.perf_counter() - asked)
        await asyncio.sleep(0.02)
    answer = await importing
    print(f"imported in {time.perf_counter() - started:.1f}s; longest wait {max(waits):.3f}s")

    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == 5000
    assert max(waits) < 0.1, sorted(waits)[-5:]
