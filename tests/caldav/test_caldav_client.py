"""An independent CalDAV client (the `caldav` package) discovers, writes and reads the CRM."""

from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
from caldav.davclient import DAVClient

from tests.caldav.conftest import Seller

START = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)


def phone_event(uid: str, title: str) -> str:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", START)
    event.add("dtstart", START)
    event.add("dtend", START + timedelta(hours=1))
    event.add("summary", title)
    event.add("categories", ["Spotkanie"])
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", timedelta(minutes=-20))
    event.add_component(alarm)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Phone//EN")
    calendar.add("version", "2.0")
    calendar.add_component(event)
    text: str = calendar.to_ical().decode()
    return text


def titles(seller: Seller) -> dict[str, tuple[str, str]]:
    items = seller.call("GET", "/api/activities").json()["items"]
    return {item["uid"]: (item["title"], item["status"]) for item in items}


def test_a_caldav_client_finds_the_calendar_from_the_root_and_syncs_both_ways(
    seller: Seller,
) -> None:
    client = DAVClient(url=seller.url + "/", username=seller.email, password=seller.token)
    found: Any = client.get_principal().get_calendars()  # typed for both the sync and async API
    [calendar] = found
    assert calendar.get_display_name() == "Anna Nowak"

    saved = calendar.save_event(phone_event("phone-1@example.com", "Spotkanie u klienta"))
    [activity] = seller.call("GET", "/api/activities").json()["items"]
    assert (activity["kind"], activity["title"]) == ("meeting", "Spotkanie u klienta")
    assert activity["reminders"] == [20]

    synced = calendar.objects_by_sync_token(load_objects=True)
    token = synced.sync_token
    saved.load()
    saved.icalendar_component["SUMMARY"] = "Spotkanie przeniesione"
    saved.save()
    assert titles(seller)["phone-1@example.com"][0] == "Spotkanie przeniesione"

    planned = seller.call(
        "POST",
        "/api/activities",
        json={
            "kind": "call",
            "title": "Telefon z CRM",
            "start": START.isoformat(),
            "end": (START + timedelta(minutes=15)).isoformat(),
        },
    ).json()
    seller.call("PATCH", f"/api/activities/{activity['id']}", json={"title": "Zmienione w CRM"})
    changed = calendar.objects_by_sync_token(sync_token=token, load_objects=True)
    got = {
        str(o.icalendar_component["UID"]): str(o.icalendar_component["SUMMARY"]) for o in changed
    }
    assert got == {"phone-1@example.com": "Zmienione w CRM", planned["uid"]: "Telefon z CRM"}

    calendar.event_by_uid(planned["uid"]).delete()
    assert titles(seller)[planned["uid"]] == ("Telefon z CRM", "cancelled")
    later = calendar.objects_by_sync_token(sync_token=changed.sync_token, load_objects=False)
    assert [str(o.url).rsplit("/", 1)[1] for o in later] == [f"{planned['id']}.ics"]
    quiet = calendar.objects_by_sync_token(sync_token=later.sync_token, load_objects=False)
    assert list(quiet) == []
    uids = {str(e.icalendar_component["UID"]) for e in calendar.events()}
    assert uids == {"phone-1@example.com"}
