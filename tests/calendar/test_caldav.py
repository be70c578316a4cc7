"""CalDAV served by the calendar service: what phones put becomes activities, and back."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

import icalendar
from sqlalchemy import text

from shared.auth import Identity
from shared.bus import InProcessBus
from shared.testing.apps import identity_headers
from shared.testing.people import user_created
from tests.calendar.conftest import Calendar, Hire, group
from tests.calendar.test_activities import SOON, call

D, C = "{DAV:}", "{urn:ietf:params:xml:ns:caldav}"
SYNC = b"""<?xml version="1.0"?><d:sync-collection xmlns:d="DAV:"><d:sync-token>%s</d:sync-token>
<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"""


def home(who: Identity) -> str:
    return f"/dav/calendars/{who.user_id}/activities/"


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def event(uid: str, start: datetime, **lines: str) -> bytes:
    """A phone's event: 45 minutes from `start`, with extra content lines."""
    extra = "".join(f"{name.replace('_', '-')}:{value}\r\n" for name, value in lines.items())
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Phone//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:{stamp(start)}\r\nDTSTART:{stamp(start)}\r\n"
        f"DTEND:{stamp(start + timedelta(minutes=45))}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


async def dav(
    calendar: Calendar, who: Identity, method: str, path: str, headers: Any = None, **kwargs: Any
) -> Any:
    sent = {**identity_headers(who), **(headers or {})}
    return await calendar.client.request(method, path, headers=sent, **kwargs)


def responses(answer: Any) -> dict[str, ET.Element]:
    assert answer.status_code == 207, answer.text
    root = ET.fromstring(answer.content)
    return {r.findtext(f"{D}href") or "": r for r in root.findall(f"{D}response")}


async def settled(calendar: Calendar) -> None:
    """Wait until no transaction older than the last write is open (the relay's, the scheduler's).

    A sync token is the oldest position a transaction still open could yet write at, so while one
    begun before the last write is open, a sync rightly reports that write again (RFC 6578 lets a
    server report more than changed); the tests below want the exact answer of a quiet server.
    """
    quiet = text(
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
        " > (SELECT coalesce(max(revision), 0) FROM activity)"
    )
    for _ in range(200):
        async with calendar.sessions() as session:
            if await session.scalar(quiet):
                return
        await asyncio.sleep(0.025)
    raise AssertionError("a transaction older than the last write stayed open for 5 s")


async def activities(calendar: Calendar, who: Identity) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = (await calendar.call(who, "GET", "/api/activities")).json()[
        "items"
    ]
    return listed


async def test_the_principal_leads_to_the_home_and_its_calendars(
    calendar: Calendar, hire: Hire
) -> None:
    north = group()
    head = await hire("head", north)
    body = b'<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/><d:unknown/></d:prop></d:propfind>'
    root = responses(await dav(calendar, head, "PROPFIND", "/dav/", content=body))["/dav/"]
    principal = root.findtext(f".//{D}current-user-principal/{D}href")
    assert principal == f"/dav/principals/{head.user_id}/"
    assert root.find(f".//{D}propstat/{D}prop/{D}unknown") is not None  # reported as 404
    assert "404" in (root.findall(f"{D}propstat")[1].findtext(f"{D}status") or "")
    props = responses(await dav(calendar, head, "PROPFIND", principal, headers={"Depth": "0"}))
    home_set = props[principal].findtext(f".//{C}calendar-home-set/{D}href")
    assert home_set == f"/dav/calendars/{head.user_id}/"
    listed = responses(await dav(calendar, head, "PROPFIND", home_set, headers={"Depth": "1"}))
    assert set(listed) == {home_set, home(head), f"{home_set}team-{north}/"}
    own = listed[home(head)]
    assert own.find(f".//{D}resourcetype/{C}calendar") is not None
    component = own.find(f".//{C}supported-calendar-component-set/{C}comp")
    assert component is not None and component.get("name") == "VEVENT"
    assert own.find(f".//{D}current-user-privilege-set//{D}write") is not None
    team = listed[f"{home_set}team-{north}/"]
    assert team.find(f".//{D}current-user-privilege-set//{D}write") is None
    colour = (
        b'<d:propertyupdate xmlns:d="DAV:" xmlns:a="http://apple.com/ns/ical/"><d:set><d:prop>'
        b"<a:calendar-color>#FF0000</a:calendar-color></d:prop></d:set></d:propertyupdate>"
    )
    patched = responses(await dav(calendar, head, "PROPPATCH", home(head), content=colour))
    assert "403" in (patched[home(head)].findtext(f".//{D}status") or "")
    other = await hire("manager", north)
    assert (await dav(calendar, other, "PROPFIND", home_set)).status_code == 404


async def test_a_phones_event_becomes_an_activity_and_comes_back_with_what_it_kept(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    path = home(anna) + "phone-1.ics"
    body = event(
        "phone-1@example.com",
        SOON,
        SUMMARY="Rozmowa z klientem",
        CATEGORIES="Telefon",
        LOCATION="Gdynia",
        X_APPLE_TRAVEL_ADVISORY_BEHAVIOR="AUTOMATIC",
        STATUS="COMPLETED",
    )
    created = await dav(calendar, anna, "PUT", path, content=body, headers={"If-None-Match": "*"})
    assert created.status_code == 201, created.text
    [activity] = await activities(calendar, anna)
    assert (activity["kind"], activity["title"], activity["place"]) == (
        "call",
        "Rozmowa z klientem",
        "Gdynia",
    )
    assert activity["uid"] == "phone-1@example.com" and activity["status"] == "scheduled"
    got = await dav(calendar, anna, "GET", path)
    assert got.content == body and got.headers["etag"] == created.headers["etag"]
    await calendar.call(
        anna, "PATCH", f"/api/activities/{activity['id']}", json={"title": "Zmienione w CRM"}
    )
    changed = await dav(calendar, anna, "GET", path)
    assert changed.headers["etag"] != got.headers["etag"]
    [vevent] = icalendar.Calendar.from_ical(changed.text).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Zmienione w CRM"
    assert str(vevent["X-APPLE-TRAVEL-ADVISORY-BEHAVIOR"]) == "AUTOMATIC"
    assert str(vevent["UID"]) == "phone-1@example.com"
    again = await dav(calendar, anna, "PUT", path, content=body, headers={"If-None-Match": "*"})
    assert again.status_code == 412


async def test_an_older_copy_is_refused_and_the_crms_version_stays(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    created = (await calendar.call(anna, "POST", "/api/activities", json=call())).json()
    path = home(anna) + f"{created['id']}.ics"
    first = await dav(calendar, anna, "GET", path)
    await calendar.call(
        anna, "PATCH", f"/api/activities/{created['id']}", json={"title": "Zmienione w CRM"}
    )
    stale = first.text.replace("Telefon do klienta", "Zmienione na telefonie")
    answer = await dav(
        calendar, anna, "PUT", path, content=stale, headers={"If-Match": first.headers["etag"]}
    )
    assert answer.status_code == 412
    [activity] = await activities(calendar, anna)
    assert activity["title"] == "Zmienione w CRM"
    current = await dav(calendar, anna, "GET", path)
    edited = current.text.replace("Zmienione w CRM", "Zmienione na telefonie")
    answer = await dav(
        calendar, anna, "PUT", path, content=edited, headers={"If-Match": current.headers["etag"]}
    )
    assert answer.status_code == 204, answer.text
    [activity] = await activities(calendar, anna)
    assert activity["title"] == "Zmienione na telefonie"


async def test_sync_collection_returns_only_what_changed_and_what_left(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    kept = (await calendar.call(anna, "POST", "/api/activities", json=call())).json()
    dropped = (await calendar.call(anna, "POST", "/api/activities", json=call())).json()
    await settled(calendar)
    first = await dav(calendar, anna, "REPORT", home(anna), content=SYNC % b"")
    token = ET.fromstring(first.content).findtext(f"{D}sync-token") or ""
    assert len(responses(first)) == 2
    unchanged = await dav(calendar, anna, "REPORT", home(anna), content=SYNC % token.encode())
    assert responses(unchanged) == {}
    assert ET.fromstring(unchanged.content).findtext(f"{D}sync-token") == token
    await calendar.call(anna, "PATCH", f"/api/activities/{kept['id']}", json={"title": "Nowy"})
    await calendar.call(anna, "DELETE", f"/api/activities/{dropped['id']}")
    later = responses(
        await dav(calendar, anna, "REPORT", home(anna), content=SYNC % token.encode())
    )
    assert set(later) == {home(anna) + f"{kept['id']}.ics", home(anna) + f"{dropped['id']}.ics"}
    gone = later[home(anna) + f"{dropped['id']}.ics"]
    assert "404" in (gone.findtext(f"{D}status") or "")
    bad = await dav(calendar, anna, "REPORT", home(anna), content=SYNC % b"http://other/1")
    assert bad.status_code == 403 and b"valid-sync-token" in bad.content


async def test_a_phone_deletes_by_cancelling_and_cannot_write_a_groups_calendar(
    calendar: Calendar, hire: Hire
) -> None:
    north = group()
    head = await hire("head", north)
    anna = await hire("manager", north)
    created = (await calendar.call(anna, "POST", "/api/activities", json=call())).json()
    team = f"/dav/calendars/{head.user_id}/team-{north}/{created['id']}.ics"
    got = await dav(calendar, head, "GET", team)
    assert got.status_code == 200
    assert (await dav(calendar, head, "DELETE", team)).status_code == 403
    assert (await dav(calendar, head, "PUT", team, content=got.content)).status_code == 403
    own = home(anna) + f"{created['id']}.ics"
    assert (await dav(calendar, anna, "DELETE", own)).status_code == 204
    [activity] = await activities(calendar, anna)
    assert activity["status"] == "cancelled"
    assert (await dav(calendar, anna, "GET", own)).status_code == 404


async def test_a_moved_occurrence_from_a_phone_is_kept_inside_its_series(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    monday = SOON + timedelta(days=7)
    series = event("weekly@example.com", monday, SUMMARY="Przegląd", RRULE="FREQ=WEEKLY;COUNT=5")
    moved_from = monday + timedelta(weeks=1)
    moved_to = moved_from + timedelta(hours=2)
    override = event("weekly@example.com", moved_to, SUMMARY="Przegląd później").replace(
        b"BEGIN:VEVENT\r\n", f"BEGIN:VEVENT\r\nRECURRENCE-ID:{stamp(moved_from)}\r\n".encode()
    )
    both = series.replace(b"END:VCALENDAR\r\n", b"") + override.split(b"VERSION:2.0\r\n")[1]
    both = both.replace(b"PRODID:-//Phone//EN\r\n", b"", 1) if both.count(b"PRODID") > 1 else both
    path = home(anna) + "weekly.ics"
    answer = await dav(calendar, anna, "PUT", path, content=both)
    assert answer.status_code == 201, answer.text
    listed = await activities(calendar, anna)
    [moved] = [a for a in listed if a["title"] == "Przegląd później"]
    assert datetime.fromisoformat(moved["start"]) == moved_to
    back = icalendar.Calendar.from_ical((await dav(calendar, anna, "GET", path)).text)
    events = list(back.walk("VEVENT"))
    assert len(events) == 2 and {str(e["UID"]) for e in events} == {"weekly@example.com"}
    [changed] = [e for e in events if "RECURRENCE-ID" in e]
    assert changed.decoded("RECURRENCE-ID") == moved_from
    assert "EXDATE" not in next(e for e in events if "RRULE" in e)
    listing = responses(await dav(calendar, anna, "PROPFIND", home(anna), headers={"Depth": "1"}))
    assert set(listing) == {home(anna), path}


async def test_a_groups_calendar_asks_for_a_full_sync_when_its_members_change(
    calendar: Calendar, hire: Hire, bus: InProcessBus
) -> None:
    north = group()
    head = await hire("head", north)
    anna = await hire("manager", north)
    (await calendar.call(anna, "POST", "/api/activities", json=call())).json()
    team = f"/dav/calendars/{head.user_id}/team-{north}/"
    first = await dav(calendar, head, "REPORT", team, content=SYNC % b"")
    token = (ET.fromstring(first.content).findtext(f"{D}sync-token") or "").encode()
    assert len(responses(first)) == 1
    assert (await dav(calendar, head, "REPORT", team, content=SYNC % token)).status_code == 207
    await bus.publish([user_created(anna, group())])  # Anna moves to another group
    stale = await dav(calendar, head, "REPORT", team, content=SYNC % token)
    assert stale.status_code == 403 and b"valid-sync-token" in stale.content
    again = await dav(calendar, head, "REPORT", team, content=SYNC % b"")
    assert responses(again) == {}


QUERY = """<?xml version="1.0"?><c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
<d:prop><d:getetag/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">
{inner}</c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"""


async def test_calendar_query_finds_occurrences_in_a_time_range_and_by_text(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    single = (await calendar.call(anna, "POST", "/api/activities", json=call())).json()
    later = SOON + timedelta(weeks=2)
    weekly = call(
        title="Cotygodniowy przegląd",
        start=later.isoformat(),
        end=(later + timedelta(hours=1)).isoformat(),
        rrule="FREQ=WEEKLY;COUNT=3",
    )
    series = (await calendar.call(anna, "POST", "/api/activities", json=weekly)).json()

    def window(start: datetime, end: datetime) -> str:
        return f'<c:time-range start="{stamp(start)}" end="{stamp(end)}"/>'

    async def found(inner: str) -> set[str]:
        body = QUERY.format(inner=inner).encode()
        answer = await dav(calendar, anna, "REPORT", home(anna), content=body)
        return {href.rsplit("/", 1)[1].removesuffix(".ics") for href in responses(answer)}

    assert await found(window(SOON - timedelta(hours=1), SOON + timedelta(days=1))) == {
        single["id"]
    }
    third_week = later + timedelta(weeks=2)
    assert await found(window(third_week, third_week + timedelta(hours=1))) == {series["id"]}
    assert await found(window(later + timedelta(weeks=3), later + timedelta(weeks=4))) == set()
    by_text = '<c:prop-filter name="SUMMARY"><c:text-match>PRZEGLĄD</c:text-match></c:prop-filter>'
    assert await found(by_text) == {series["id"]}
    multiget = (
        b'<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
        b"<d:prop><d:getetag/><c:calendar-data/></d:prop>"
        + f"<d:href>{home(anna)}{single['id']}.ics</d:href>".encode()
        + f"<d:href>{home(anna)}missing.ics</d:href>".encode()
        + b"</c:calendar-multiget>"
    )
    got = responses(await dav(calendar, anna, "REPORT", home(anna), content=multiget))
    assert "BEGIN:VCALENDAR" in (
        got[f"{home(anna)}{single['id']}.ics"].findtext(f".//{C}calendar-data") or ""
    )
    assert "404" in (got[f"{home(anna)}missing.ics"].findtext(f"{D}status") or "")


async def test_a_phone_marking_a_past_event_completed_leaves_it_awaiting_its_outcome(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())
    ended = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    body = event(
        "done@example.com", ended, SUMMARY="Rozmowa", CATEGORIES="call", STATUS="COMPLETED"
    )
    answer = await dav(calendar, anna, "PUT", home(anna) + "done.ics", content=body)
    assert answer.status_code == 201, answer.text
    [activity] = await activities(calendar, anna)
    assert activity["status"] == "scheduled" and activity["awaiting_outcome"] is True
    awaiting = (await calendar.call(anna, "GET", "/api/calendar/awaiting")).json()
    assert [a["activity_id"] for a in awaiting] == [activity["id"]]
