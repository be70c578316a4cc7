"""iCalendar feeds and `.ics` import: two independent parsers read what the feed writes."""

import io
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import icalendar
import vobject
from dateutil.rrule import rruleset, rrulestr
from sqlalchemy import text

from shared.auth import Identity
from shared.bus import InProcessBus, Message
from shared.contracts.gateway import UserUpdated
from shared.testing.apps import ADMIN
from shared.testing.people import as_message
from tests.calendar.conftest import Calendar, Hire, group
from tests.calendar.test_activities import SOON, call


async def subscribe(calendar: Calendar, who: Any, **body: Any) -> str:
    answer = await calendar.call(who, "POST", "/api/calendar/feed", json=body or None)
    assert answer.status_code == 201, answer.text
    address: dict[str, str] = answer.json()
    assert address["webcal"].startswith("webcal://")
    path = address["url"].split("://", 1)[1].split("/", 1)[1]
    return "/" + path


async def fetch(calendar: Calendar, path: str, **headers: str) -> Any:
    return await calendar.client.get(path, headers={"X-CRM-Identity": "", **headers})


def vevents(body: str) -> list[Any]:
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


async def test_the_feed_holds_each_activity_with_its_alarms_and_parses_twice(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    meeting = call(
        kind="meeting",
        title="Spotkanie; omówienie, oferty \\ rabatu",
        note="Sala 2\nprojektor",
        place="Gdańsk, ul. Długa 1",
        reminders=[15, 60, 1440],
    )
    created = (await calendar.call(anna, "POST", "/api/activities", json=meeting)).json()
    await calendar.call(anna, "POST", "/api/activities", json=call(kind="task", due=None))
    path = await subscribe(calendar, anna)
    answer = await fetch(calendar, path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/calendar")
    body = answer.text
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))

    [event] = [e for e in vevents(body) if str(e["UID"]) == created["uid"]]
    assert str(event["SUMMARY"]) == meeting["title"]
    assert str(event["LOCATION"]) == meeting["place"]
    assert event.decoded("DTSTART") == SOON
    assert str(event["DTSTART"].params["TZID"]) == "Europe/Warsaw"
    assert str(event["STATUS"]) == "CONFIRMED"
    triggers = sorted(-a.decoded("TRIGGER") for a in event.walk("VALARM"))
    assert triggers == [timedelta(minutes=15), timedelta(hours=1), timedelta(days=1)]
    assert f"/calendar?activity={created['id']}" in str(event["URL"])

    parsed = vobject.readOne(body)
    [second] = [e for e in parsed.vevent_list if e.uid.value == created["uid"]]
    assert second.summary.value == meeting["title"]
    assert second.description.value.startswith("Sala 2\nprojektor")
    assert second.dtstart.value == SOON
    assert len(second.valarm_list) == 3
    assert parsed.vtimezone.tzid.value == "Europe/Warsaw"


async def test_an_edit_raises_the_sequence_and_an_unchanged_feed_answers_304(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    created = (await calendar.call(anna, "POST", "/api/activities", json=call())).json()
    path = await subscribe(calendar, anna)
    first = await fetch(calendar, path)
    etag = first.headers["etag"]
    assert (await fetch(calendar, path, **{"If-None-Match": etag})).status_code == 304
    [before] = vevents(first.text)
    await calendar.call(
        anna, "PATCH", f"/api/activities/{created['id']}", json={"title": "Telefon, drugi"}
    )
    second = await fetch(calendar, path, **{"If-None-Match": etag})
    assert second.status_code == 200 and second.headers["etag"] != etag
    [after] = vevents(second.text)
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    await calendar.call(anna, "DELETE", f"/api/activities/{created['id']}")
    [cancelled] = vevents((await fetch(calendar, path)).text)
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) > int(after["SEQUENCE"])


async def test_revoked_and_replaced_addresses_answer_404(calendar: Calendar, hire: Hire) -> None:
    anna = await hire("manager", group())
    old = await subscribe(calendar, anna)
    new = await subscribe(calendar, anna)
    assert (await fetch(calendar, old)).status_code == 404
    assert (await fetch(calendar, new)).status_code == 200
    listed = (await calendar.call(anna, "GET", "/api/calendar/feed")).json()
    assert len(listed) == 1 and listed[0]["team_id"] is None
    assert (await calendar.call(anna, "DELETE", "/api/calendar/feed")).status_code == 204
    assert (await fetch(calendar, new)).status_code == 404
    assert (await calendar.call(anna, "DELETE", "/api/calendar/feed")).status_code == 404
    assert (await fetch(calendar, "/api/calendar/feeds/guess.ics")).status_code == 404


async def test_a_deactivated_users_feed_stays_dead_when_they_come_back(
    calendar: Calendar, hire: Hire, bus: InProcessBus
) -> None:
    team = group()
    anna = await hire("manager", team)
    address = await subscribe(calendar, anna)
    assert (await fetch(calendar, address)).status_code == 200

    await bus.publish([user_updated(anna, team, active=False)])
    await bus.publish([user_updated(anna, team, active=True)])

    assert (await fetch(calendar, address)).status_code == 404
    assert (await calendar.call(anna, "GET", "/api/calendar/feed")).json() == []
    again = await subscribe(calendar, anna)
    assert (await fetch(calendar, again)).status_code == 200


def user_updated(who: Identity, team: UUID, *, active: bool) -> Message:
    snapshot = UserUpdated(
        user_id=UUID(who.user_id),
        email=f"{who.user_id[:8]}@contentum.pl",
        name="Anna",
        role=who.role,
        team_id=team,
        department_id=None,
        locale=who.locale,
        time_zone="Europe/Warsaw",
        active=active,
    )
    return as_message(snapshot, who.user_id)


async def test_a_feed_never_shows_what_its_owner_may_not_see(
    calendar: Calendar, hire: Hire
) -> None:
    north, south = group(), group()
    head = await hire("head", north)
    anna, bogdan = await hire("manager", north), await hire("manager", south)
    annas = (await calendar.call(anna, "POST", "/api/activities", json=call())).json()
    bogdans = (await calendar.call(bogdan, "POST", "/api/activities", json=call())).json()
    joined = (await calendar.call(bogdan, "POST", "/api/activities", json=call())).json()
    invited = {"participant_ids": [anna.user_id]}  # by the administrator: anna is not bogdan's
    assert (
        await calendar.call(ADMIN, "PATCH", f"/api/activities/{joined['id']}", json=invited)
    ).is_success

    def uids(answer: Any) -> set[str]:
        return {str(e["UID"]) for e in vevents(answer.text)}

    annas_feed = await fetch(calendar, await subscribe(calendar, anna))
    assert uids(annas_feed) == {annas["uid"], joined["uid"]}
    assert bogdans["uid"] not in annas_feed.text
    refused = await calendar.call(anna, "POST", "/api/calendar/feed", json={"team_id": str(north)})
    assert refused.status_code == 403
    group_feed = await fetch(calendar, await subscribe(calendar, head, team_id=str(north)))
    assert uids(group_feed) == {annas["uid"]}
    not_heads = await calendar.call(
        head, "POST", "/api/calendar/feed", json={"team_id": str(south)}
    )
    assert not_heads.status_code == 403


WEEKLY = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example//Other Calendar//EN
BEGIN:VTIMEZONE
TZID:Europe/Warsaw
BEGIN:STANDARD
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:weekly-sync-42@example.com
DTSTAMP:20261101T120000Z
DTSTART;TZID=Europe/Warsaw:{year}0301T090000
DTEND;TZID=Europe/Warsaw:{year}0301T093000
SUMMARY:Cotygodniowy przegląd lejka
RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL={year}0510T235959Z
EXDATE;TZID=Europe/Warsaw:{year}0315T090000,{year}0412T090000
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:Przegląd
TRIGGER:-PT10M
END:VALARM
END:VEVENT
BEGIN:VEVENT
UID:one-off-7@example.com
DTSTAMP:20261101T120000Z
DTSTART:{year}0302T140000Z
DTEND:{year}0302T150000Z
SUMMARY:Prezentacja
END:VEVENT
END:VCALENDAR
"""


def occurrences(event: Any) -> list[datetime]:
    """What `icalendar` + dateutil make of a VEVENT's RRULE and EXDATE."""
    start = event.decoded("DTSTART")
    series = rruleset()
    series.rrule(rrulestr(event["RRULE"].to_ical().decode(), dtstart=start))
    exdates = event.get("EXDATE") or []
    for item in exdates if isinstance(exdates, list) else [exdates]:
        for value in item.dts:
            series.exdate(value.dt)
    return [moment.astimezone(UTC) for moment in series]


async def test_an_imported_weekly_series_comes_back_through_the_feed_with_the_same_occurrences(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    year = datetime.now(UTC).year + 1
    source = WEEKLY.format(year=year).replace("\n", "\r\n").encode()
    files = {"file": ("calendar.ics", source, "text/calendar")}
    imported = await calendar.call(anna, "POST", "/api/calendar/import", files=files)
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"created": 2, "updated": 0, "unchanged": 0, "skipped": 0}

    feed = (await fetch(calendar, await subscribe(calendar, anna))).text
    [original] = [e for e in vevents(source.decode()) if "RRULE" in e]
    [returned] = [e for e in vevents(feed) if "RRULE" in e]
    assert str(returned["UID"]) == "weekly-sync-42@example.com"
    expected = occurrences(original)
    assert len(expected) >= 7  # Mondays from March to 10 May, two of them excepted
    assert all(moment.strftime("%m-%d") not in ("03-15", "04-12") for moment in expected)
    assert occurrences(returned) == expected
    second_parser = [
        e
        for e in vobject.readOne(io.StringIO(feed)).vevent_list
        if e.uid.value.startswith("weekly")
    ]
    assert [m.astimezone(UTC) for m in second_parser[0].getrruleset()] == expected
    assert [-a.decoded("TRIGGER") for a in returned.walk("VALARM")] == [timedelta(minutes=10)]

    again = await calendar.call(
        anna,
        "POST",
        "/api/calendar/import",
        files={
            "file": ("c.ics", source.replace(b"Prezentacja", b"Prezentacja v2"), "text/calendar")
        },
    )
    assert again.json() == {"created": 0, "updated": 1, "unchanged": 1, "skipped": 0}
    listed = (await calendar.call(anna, "GET", "/api/activities")).json()["items"]
    assert sorted(item["title"] for item in listed) == [
        "Cotygodniowy przegląd lejka",
        "Prezentacja v2",
    ]


async def test_a_broken_file_is_refused_with_the_reason_and_nothing_is_imported(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    year = datetime.now(UTC).year + 1
    good = WEEKLY.format(year=year)
    broken_event = good.replace(f"DTSTART:{year}0302T140000Z\n", "")
    cases = {
        "not a calendar": b"hello",
        "missing start": broken_event.encode(),
        "bad rule": good.replace("FREQ=WEEKLY", "FREQ=SOMETIMES").encode(),
        "empty": b"",
    }
    for label, data in cases.items():
        answer = await calendar.call(
            anna, "POST", "/api/calendar/import", files={"file": ("x.ics", data, "text/calendar")}
        )
        assert answer.status_code == 422, (label, answer.text)
        assert "file" in str(answer.json()["detail"]), label
    missing = await calendar.call(
        anna,
        "POST",
        "/api/calendar/import",
        files={"file": ("x.ics", broken_event.encode(), "text/calendar")},
    )
    assert "one-off-7@example.com" in missing.text and "DTSTART" in missing.text
    hello = await calendar.call(
        anna, "POST", "/api/calendar/import", files={"file": ("x.ics", b"hello", "text/plain")}
    )
    [problem] = hello.json()["detail"]
    assert problem["msg"] == "not an iCalendar file"  # a msgid: the pages show it translated
    assert "hello" in problem["ctx"]["reason"]  # and the parser's words apart, for a program
    assert (await calendar.call(anna, "GET", "/api/activities")).json()["items"] == []
    too_big = b"BEGIN:VCALENDAR\r\n" + b"X" * (2 * 1024 * 1024 + 1)
    answer = await calendar.call(
        anna, "POST", "/api/calendar/import", files={"file": ("x.ics", too_big, "text/calendar")}
    )
    assert answer.status_code == 422 and "2 MB" in answer.text


async def test_an_import_failing_in_its_second_event_leaves_nothing_behind(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    year = datetime.now(UTC).year + 1
    # The second event parses, but a meeting without an end cannot be planned.
    second_fails = WEEKLY.format(year=year).replace(
        f"DTEND:{year}0302T150000Z\n", "CATEGORIES:MEETING\n"
    )
    answer = await calendar.call(
        anna,
        "POST",
        "/api/calendar/import",
        files={"file": ("x.ics", second_fails.encode(), "text/calendar")},
    )
    assert answer.status_code == 422, answer.text
    assert "event 2 (one-off-7@example.com)" in answer.text and "end" in answer.text
    assert (await calendar.call(anna, "GET", "/api/activities")).json()["items"] == []
    bad_zone = await calendar.call(
        anna,
        "POST",
        "/api/calendar/import",
        params={"time_zone": "Mars/Olympus"},
        files={"file": ("x.ics", WEEKLY.format(year=year).encode(), "text/calendar")},
    )
    assert bad_zone.status_code == 422 and bad_zone.json()["detail"][0]["loc"] == [
        "query",
        "time_zone",
    ]


async def test_alarms_relative_to_the_end_are_moved_to_the_start_and_a_moved_occurrence_moves(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    year = datetime.now(UTC).year + 1
    source = (
        WEEKLY.format(year=year)
        .replace(
            "END:VCALENDAR",
            "BEGIN:VEVENT\nUID:weekly-sync-42@example.com\nRECURRENCE-ID;TZID=Europe/Warsaw:"
            f"{year}0308T090000\nDTSTART;TZID=Europe/Warsaw:{year}0308T100000\nDTEND;TZID="
            f"Europe/Warsaw:{year}0308T103000\nSUMMARY:Przesunięty przegląd\nEND:VEVENT\n"
            "END:VCALENDAR",
        )
        .replace(
            "TRIGGER:-PT10M",
            "TRIGGER;RELATED=END:-PT40M",  # 40 minutes before a 30-minute meeting ends
        )
    )
    answer = await calendar.call(
        anna,
        "POST",
        "/api/calendar/import",
        files={"file": ("x.ics", source.encode(), "text/calendar")},
    )
    assert answer.json() == {"created": 2, "updated": 0, "unchanged": 0, "skipped": 0}
    items = (await calendar.call(anna, "GET", "/api/activities")).json()["items"]
    weekly = next(item for item in items if item["uid"] == "weekly-sync-42@example.com")
    assert weekly["reminders"] == [10]
    warsaw = ZoneInfo("Europe/Warsaw")
    [moved] = [item for item in items if item["title"] == "Przesunięty przegląd"]
    assert datetime.fromisoformat(moved["start"]) == datetime(year, 3, 8, 10, tzinfo=warsaw)
    assert datetime(year, 3, 8, 9, tzinfo=warsaw) in [
        datetime.fromisoformat(day) for day in weekly["exdates"]
    ]


async def test_an_all_day_series_ends_on_a_date_in_the_feed(calendar: Calendar, hire: Hire) -> None:
    anna = await hire("manager", group())
    start = datetime(datetime.now(UTC).year + 1, 1, 4, tzinfo=UTC)
    await calendar.call(
        anna,
        "POST",
        "/api/activities",
        json=call(
            kind="task",
            all_day=True,
            due=start.isoformat(),
            start=None,
            end=None,
            rrule=f"FREQ=WEEKLY;UNTIL={start.year}0201",
        ),
    )
    feed = (await fetch(calendar, await subscribe(calendar, anna))).text
    [event] = vevents(feed)
    assert event["DTSTART"].params.get("VALUE") == "DATE"
    assert event["RRULE"].to_ical().decode().endswith(f"UNTIL={start.year}0201")
    days = [moment.date() for moment in occurrences(event)]  # weekly from 4 January
    assert len(days) in (4, 5) and days[-1] <= start.date().replace(month=2, day=1)


async def test_cancelled_activities_keep_no_alarm_and_events_name_their_organizer(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    created = (await calendar.call(anna, "POST", "/api/activities", json=call())).json()
    await calendar.call(anna, "DELETE", f"/api/activities/{created['id']}")
    path = await subscribe(calendar, anna)
    head = await calendar.client.head(path, headers={"X-CRM-Identity": ""})
    got = await fetch(calendar, path)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    assert head.headers["content-length"] == str(len(got.content))
    [event] = vevents(got.text)
    assert str(event["STATUS"]) == "CANCELLED" and not event.walk("VALARM")
    assert str(event["ORGANIZER"]) == f"mailto:{anna.user_id[:8]}@contentum.pl"
    assert str(event["ORGANIZER"].params["CN"]) == f"manager {anna.user_id[:4]}"


async def test_an_all_day_activity_is_reminded_at_nine_the_day_before(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    day = (SOON + timedelta(days=3)).date()
    body = call(
        kind="meeting", all_day=True, start=f"{day}T00:00:00+01:00", end=f"{day}T00:00:00+01:00"
    )
    created = (await calendar.call(anna, "POST", "/api/activities", json=body)).json()
    assert created["reminders"] == [15 * 60]
    [event] = vevents((await fetch(calendar, await subscribe(calendar, anna))).text)
    assert event.walk("VALARM")[0].decoded("TRIGGER") == -timedelta(hours=15)
    async with calendar.sessions() as session:
        fire_at = await session.scalar(
            text("SELECT fire_at FROM alarm WHERE kind = 'reminder' AND activity_id = :id"),
            {"id": created["id"]},
        )
    local = fire_at.astimezone(ZoneInfo("Europe/Warsaw"))
    assert (local.date(), local.hour, local.minute) == (day - timedelta(days=1), 9, 0)


async def test_all_day_occurrences_come_as_midnights_of_their_zone_single_or_repeated(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    # A weekly all-day series across the end of daylight saving time, and a single day.
    year = datetime.now(UTC).year + 1
    first = datetime(year, 10, 20, tzinfo=ZoneInfo("Europe/Warsaw"))
    for rule in ("FREQ=WEEKLY;COUNT=3", None):
        body = call(
            kind="task", all_day=True, due=first.isoformat(), start=None, end=None, rrule=rule
        )
        assert (await calendar.call(anna, "POST", "/api/activities", json=body)).status_code == 201
    found = (
        await calendar.call(
            anna,
            "GET",
            "/api/calendar/occurrences",
            params={"start": first.isoformat(), "end": (first + timedelta(days=30)).isoformat()},
        )
    ).json()
    assert len(found) == 4
    for occurrence in found:
        start, end = (datetime.fromisoformat(occurrence[k]) for k in ("start", "end"))
        local = start.astimezone(ZoneInfo("Europe/Warsaw"))
        assert (local.hour, local.minute) == (0, 0) and start.utcoffset() == local.utcoffset()
        assert (end.astimezone(ZoneInfo("Europe/Warsaw")) - local).days == 1
        assert end.astimezone(ZoneInfo("Europe/Warsaw")).hour == 0


GOOGLE = """BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:PUBLISH
X-WR-CALNAME:Praca
X-WR-TIMEZONE:Europe/Warsaw
BEGIN:VEVENT
DTSTART;TZID=Europe/Warsaw:{year}0105T100000
DTEND;TZID=Europe/Warsaw:{year}0105T110000
RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=6
RDATE;TZID=Europe/Warsaw:{year}0108T100000
DTSTAMP:20261201T120000Z
UID:4k1l2m3n4o5p@google.com
SUMMARY:Status z zespołem
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Warsaw:{year}0113T150000
DTEND;TZID=Europe/Warsaw:{year}0113T160000
DTSTAMP:20261201T120000Z
UID:4k1l2m3n4o5p@google.com
RECURRENCE-ID;TZID=Europe/Warsaw:{year}0112T100000
SUMMARY:Status z zespołem (przesunięty)
SEQUENCE:1
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Warsaw:{year}0119T100000
DTEND;TZID=Europe/Warsaw:{year}0119T110000
DTSTAMP:20261201T120000Z
UID:4k1l2m3n4o5p@google.com
RECURRENCE-ID;TZID=Europe/Warsaw:{year}0119T100000
STATUS:CANCELLED
SUMMARY:Status z zespołem
END:VEVENT
END:VCALENDAR
"""


async def test_a_google_export_with_a_moved_occurrence_imports_with_the_occurrence_moved(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    year = 2027  # 5 January is a Tuesday
    source = GOOGLE.format(year=year).replace("\n", "\r\n").encode()
    answer = await calendar.call(
        anna, "POST", "/api/calendar/import", files={"file": ("g.ics", source, "text/calendar")}
    )
    assert answer.json() == {"created": 1, "updated": 0, "unchanged": 0, "skipped": 0}
    warsaw = ZoneInfo("Europe/Warsaw")
    found = (
        await calendar.call(
            anna,
            "GET",
            "/api/calendar/occurrences",
            params={
                "start": datetime(year, 1, 1, tzinfo=warsaw).isoformat(),
                "end": datetime(year, 3, 1, tzinfo=warsaw).isoformat(),
            },
        )
    ).json()
    starts = sorted(datetime.fromisoformat(o["start"]).astimezone(warsaw) for o in found)
    expected = [datetime(year, 1, day, 10, tzinfo=warsaw) for day in (5, 8, 26)]
    expected += [datetime(year, 1, 13, 15, tzinfo=warsaw), datetime(year, 2, 2, 10, tzinfo=warsaw)]
    expected += [datetime(year, 2, 9, 10, tzinfo=warsaw)]
    assert starts == sorted(expected)  # 12 Jan moved to 13 Jan 15:00, 19 Jan cancelled
    again = await calendar.call(
        anna, "POST", "/api/calendar/import", files={"file": ("g.ics", source, "text/calendar")}
    )
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 1, "skipped": 0}


async def test_an_import_is_held_to_the_apis_field_lengths(calendar: Calendar, hire: Hire) -> None:
    anna = await hire("manager", group())
    year = datetime.now(UTC).year + 1
    too_long = {
        "SUMMARY": "S" * 301,
        "DESCRIPTION": "D" * 5001,
        "LOCATION": "L" * 301,
    }
    for name, value in too_long.items():
        source = (
            GOOGLE.format(year=year)
            .replace("SUMMARY:Status z zespołem\n", f"SUMMARY:Status\n{name}:{value}\n", 1)
            .replace("SUMMARY:Status\nSUMMARY:", "SUMMARY:")
        )
        answer = await calendar.call(
            anna,
            "POST",
            "/api/calendar/import",
            files={"file": ("g.ics", source.encode(), "text/calendar")},
        )
        assert answer.status_code == 422, name
        assert name in answer.text and "longer than" in answer.text
    assert (await calendar.call(anna, "GET", "/api/activities")).json()["items"] == []


async def test_a_heads_group_feed_is_named_after_the_group_and_rings_only_for_their_own(
    calendar: Calendar, hire: Hire
) -> None:
    north = group()
    head = await hire("head", north)
    anna = await hire("manager", north)
    annas = await calendar.call(anna, "POST", "/api/activities", json=call(reminders=[10]))
    own = await calendar.call(head, "POST", "/api/activities", json=call(reminders=[10]))

    group_feed = await fetch(calendar, await subscribe(calendar, head, team_id=str(north)))
    annas_feed = await fetch(calendar, await subscribe(calendar, anna))

    alarms = {str(e["UID"]): len(e.walk("VALARM")) for e in vevents(group_feed.text)}
    assert alarms == {annas.json()["uid"]: 0, own.json()["uid"]: 1}
    assert [len(e.walk("VALARM")) for e in vevents(annas_feed.text)] == [1]
    named = icalendar.Calendar.from_ical(group_feed.text)["X-WR-CALNAME"]
    assert named == f"Contentum CRM: group {str(north)[:4]}"
    assert icalendar.Calendar.from_ical(annas_feed.text)["X-WR-CALNAME"] == "Contentum CRM"
