"""The calendar pages over HTTP, with the whole CRM in process: events, dialogs, moves, outcomes."""

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, bearer
from shared.testing.waiting import eventually
from tests.gateway.conftest import HTMX, PASSWORD
from tests.gateway.test_web import browser_sign_in

WARSAW = ZoneInfo("Europe/Warsaw")


@pytest.fixture(scope="module")
async def csrf(crm: httpx.AsyncClient, api: dict[str, str]) -> dict[str, str]:
    """Signed in as a browser; the headers HTMX sends with every change."""
    token = await browser_sign_in(crm, ADMIN_EMAIL, ADMIN_PASSWORD)
    return {"X-CSRF-Token": token, "HX-Request": "true"}


TOMORROW = (datetime.now(WARSAW) + timedelta(days=1)).replace(
    hour=10, minute=0, second=0, microsecond=0
)


def form(**fields: str) -> dict[str, str]:
    return {
        "kind": "meeting",
        "title": "Spotkanie w Hucie",
        "start": TOMORROW.strftime("%Y-%m-%dT%H:%M"),
        "end": (TOMORROW + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        **fields,
    }


async def created(crm: httpx.AsyncClient, api: dict[str, str], title: str) -> dict[str, Any]:
    items = (await crm.get("/api/activities", params={"limit": 200}, headers=api)).json()["items"]
    return next(item for item in items if item["title"] == title)


async def test_the_dialog_creates_an_activity_in_the_users_time_zone(
    crm: httpx.AsyncClient, api: dict[str, str], csrf: dict[str, str]
) -> None:
    refused = await crm.post("/calendar/activities", data=form(end=""), headers=csrf)
    assert refused.status_code == 422
    assert "a call or meeting has a start and an end" in refused.text
    assert 'value="Spotkanie w Hucie"' in refused.text  # what was typed stays
    no_token = await crm.post("/calendar/activities", data=form())
    assert no_token.status_code == 403

    answer = await crm.post(
        "/calendar/activities", data=form(reminders="15, 60", place="Huta <Łabędy>"), headers=csrf
    )
    assert answer.status_code == 204
    assert answer.headers["HX-Trigger"] == "crm:calendar-changed"
    activity = await created(crm, api, "Spotkanie w Hucie")
    assert datetime.fromisoformat(activity["start"]) == TOMORROW
    assert activity["reminders"] == [15, 60]

    shown = await crm.get(f"/calendar/activities/{activity['id']}", headers=HTMX)
    assert "Huta &lt;Łabędy&gt;" in shown.text and "Report outcome" in shown.text


async def test_the_events_feed_the_calendar_and_a_move_is_checked_by_the_server(
    crm: httpx.AsyncClient, api: dict[str, str], csrf: dict[str, str]
) -> None:
    await crm.post("/calendar/activities", data=form(title="Do przesunięcia"), headers=csrf)
    activity = await created(crm, api, "Do przesunięcia")
    week = {
        "start": (TOMORROW - timedelta(days=3)).isoformat(),
        "end": (TOMORROW + timedelta(days=4)).isoformat(),
    }
    events = (await crm.get("/calendar/events", params=week)).json()
    [event] = [e for e in events if e["extendedProps"]["activity"] == activity["id"]]
    assert event["editable"] is True and event["color"] == "#8250df"

    later = TOMORROW + timedelta(hours=3)
    moved = await crm.post(
        f"/calendar/activities/{activity['id']}/move",
        data={"start": later.isoformat(), "end": (later + timedelta(hours=1)).isoformat()},
        headers=csrf,
    )
    assert moved.status_code == 200, moved.text
    assert datetime.fromisoformat((await created(crm, api, "Do przesunięcia"))["start"]) == later
    backwards = await crm.post(
        f"/calendar/activities/{activity['id']}/move",
        data={"start": later.isoformat(), "end": (later - timedelta(hours=1)).isoformat()},
        headers=csrf,
    )
    assert backwards.status_code == 422
    assert "the end must be after the start" in backwards.json()["message"]


async def test_an_outcome_needs_a_result_and_may_plan_the_next_activity(
    crm: httpx.AsyncClient, api: dict[str, str], csrf: dict[str, str]
) -> None:
    await crm.post("/calendar/activities", data=form(title="Rozmowa o cenie"), headers=csrf)
    activity = await created(crm, api, "Rozmowa o cenie")
    url = f"/calendar/activities/{activity['id']}/outcome"
    assert "Save outcome" in (await crm.get(url, headers=HTMX)).text
    refused = await crm.post(url, data={"result": "", "note": "Cena OK"}, headers=csrf)
    assert refused.status_code == 422 and 'class="invalid"' in refused.text
    next_start = (TOMORROW + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    done = await crm.post(
        url,
        data={
            "result": "completed",
            "note": "Cena zaakceptowana",
            "next_kind": "letter",
            "next_title": "Wysłać umowę",
            "next_start": next_start,
        },
        headers=csrf,
    )
    assert done.status_code == 204, done.text
    assert (await created(crm, api, "Rozmowa o cenie"))["status"] == "done"
    letter = await created(crm, api, "Wysłać umowę")
    assert letter["kind"] == "letter" and letter["due"] is not None


async def test_the_deal_page_lists_the_deals_activities(
    crm: httpx.AsyncClient, api: dict[str, str], csrf: dict[str, str]
) -> None:
    both = {**api, **csrf}  # the client carries the browser's cookies too
    company = (await crm.post("/api/companies", json={"name": "Stal-Mar"}, headers=both)).json()
    body = {"title": "Blachy", "company_id": company["id"]}
    deal = (await crm.post("/api/deals", json=body, headers=both)).json()
    page = await crm.get(f"/deals/{deal['id']}")
    assert "No activities yet." in page.text and f"deal_id={deal['id']}" in page.text
    await crm.post(
        "/calendar/activities",
        data=form(title="Oferta na blachy", deal_id=deal["id"], company_id=company["id"]),
        headers=csrf,
    )
    page = await crm.get(f"/deals/{deal['id']}")
    assert "Oferta na blachy" in page.text


async def test_settings_keep_my_reminders_and_the_admins_outcome_types(
    crm: httpx.AsyncClient, api: dict[str, str], csrf: dict[str, str]
) -> None:
    bad = await crm.post(
        "/calendar/settings/reminders",
        data={"call": "5, soon", "meeting": "30", "letter": "", "task": "0"},
        headers=csrf,
    )
    assert bad.status_code == 422 and 'value="5, soon"' in bad.text
    saved = await crm.post(
        "/calendar/settings/reminders",
        data={"call": "5, 15", "meeting": "30", "letter": "", "task": "0"},
        headers=csrf,
    )
    assert saved.status_code == 200 and "Saved." in saved.text
    defaults = (await crm.get("/api/calendar/reminder-defaults", headers=api)).json()
    assert defaults == {"call": [5, 15], "meeting": [30], "letter": [], "task": [0]}

    added = await crm.post(
        "/calendar/settings/outcome-types",
        data={"code": "offer_sent", "label": "Oferta wysłana"},
        headers=csrf,
    )
    assert added.status_code == 200 and "Oferta wysłana" in added.text
    taken = await crm.post(
        "/calendar/settings/outcome-types",
        data={"code": "offer_sent", "label": "Znowu"},
        headers=csrf,
    )
    assert taken.status_code == 422 and "this outcome type exists already" in taken.text
    retired = await crm.post("/calendar/settings/outcome-types/offer_sent/retire", headers=csrf)
    assert "Oferta wysłana" not in retired.text


async def test_the_awaiting_list_offers_to_report_what_ended(
    crm: httpx.AsyncClient, api: dict[str, str], csrf: dict[str, str]
) -> None:
    yesterday = TOMORROW - timedelta(days=2)
    past = form(
        title="Wczorajsza rozmowa",
        start=yesterday.strftime("%Y-%m-%dT%H:%M"),
        end=(yesterday + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"),
    )
    assert (await crm.post("/calendar/activities", data=past, headers=csrf)).status_code == 204
    activity = await created(crm, api, "Wczorajsza rozmowa")
    page = await crm.get("/calendar/awaiting")
    assert "Wczorajsza rozmowa" in page.text
    assert f"/calendar/activities/{activity['id']}/outcome" in page.text
    calendar = await crm.get("/calendar")
    assert "Awaiting outcome (" in calendar.text and "Awaiting outcome (0)" not in calendar.text
    shown = calendar.text.split("Awaiting outcome (", 1)[1].split(")", 1)[0]
    counter = await crm.get("/calendar/awaiting/count")  # next to Calendar on every page
    assert 'hx-get="/calendar/awaiting/count"' in calendar.text
    assert f">{shown}</span>" in counter.text and "an outcome" in counter.text

    report = {"result": "completed", "note": "Rozmawialiśmy."}
    path = f"/calendar/activities/{activity['id']}/outcome"
    assert (await crm.post(path, data=report, headers=csrf)).status_code == 204
    fewer = await crm.get("/calendar/awaiting/count")
    assert fewer.text == "" or f">{int(shown) - 1}</span>" in fewer.text


async def test_the_desks_agenda_links_an_ended_meeting_to_its_outcome(
    crm: httpx.AsyncClient, api: dict[str, str], csrf: dict[str, str]
) -> None:
    now = datetime.now(WARSAW).replace(second=0, microsecond=0)
    start, end = now - timedelta(minutes=3), now - timedelta(minutes=1)
    if start.date() != now.date():
        pytest.skip("no meeting of today has ended yet in the first minutes of the day")
    today = form(
        title="Dzisiejsza rozmowa",
        start=start.strftime("%Y-%m-%dT%H:%M"),
        end=end.strftime("%Y-%m-%dT%H:%M"),
    )
    assert (await crm.post("/calendar/activities", data=today, headers=csrf)).status_code == 204
    activity = await created(crm, api, "Dzisiejsza rozmowa")

    agenda = await crm.get("/desk/widgets/agenda", headers=csrf)

    outcome = f'href="/calendar/awaiting?activity={activity["id"]}">report the outcome</a>'
    assert "Dzisiejsza rozmowa" in agenda.text and outcome in agenda.text


async def test_an_activity_planned_in_the_calendar_is_linked_to_a_chosen_company_and_deal(
    crm: httpx.AsyncClient, api: dict[str, str], csrf: dict[str, str]
) -> None:
    both = {**api, **csrf}
    company = (await crm.post("/api/companies", json={"name": "Kalendarz SA"}, headers=both)).json()
    body = {"title": "Wdrożenie kalendarza", "company_id": company["id"]}
    deal = (await crm.post("/api/deals", json=body, headers=both)).json()

    dialog = await crm.get("/calendar/activities/new", headers=csrf | HTMX)
    found = await crm.get("/companies/options", params={"q": "Kalendarz"}, headers=csrf)
    deals = await crm.get("/deals/options", params={"company_id": company["id"]}, headers=csrf)
    chosen = form(title="Demo kalendarza", pick="1", company_id=company["id"], deal_id=deal["id"])
    saved = await crm.post("/calendar/activities", data=chosen, headers=csrf)
    refused = await crm.post("/calendar/activities", data={**chosen, "title": ""}, headers=csrf)

    assert '<select name="company_id"' in dialog.text and 'id="deal-choices"' in dialog.text
    assert 'hx-get="/deals/options"' in dialog.text
    assert f'<option value="{company["id"]}"' in found.text
    assert f'<option value="{deal["id"]}" >Wdrożenie kalendarza</option>' in deals.text
    assert saved.status_code == 204, saved.text
    activity = await created(crm, api, "Demo kalendarza")
    assert (activity["company_id"], activity["deal_id"]) == (company["id"], deal["id"])
    assert refused.status_code == 422  # the dialog comes back with the choices kept
    assert f'<option value="{deal["id"]}" selected>' in refused.text
    assert re.search(rf'<option value="{company["id"]}" selected>Kalendarz SA', refused.text)


async def test_a_head_overlays_the_groups_calendars(
    crm: httpx.AsyncClient, api: dict[str, str], csrf: dict[str, str]
) -> None:
    both = {**api, **csrf}
    team = (await crm.post("/api/teams", json={"name": "Wschód"}, headers=both)).json()["id"]
    people = {}
    for name, role in (("ewa", "head"), ("olek", "manager")):
        body = {
            "email": f"{name}@contentum.pl",
            "name": name.title(),
            "password": PASSWORD,
            "role": role,
            "team_id": team,
            "locale": "en",
        }
        people[name] = (await crm.post("/api/users", json=body, headers=both)).json()["id"]
    await crm.patch(f"/api/teams/{team}", json={"head_id": people["ewa"]}, headers=both)
    start = TOMORROW + timedelta(hours=5)
    call = {
        "kind": "call",
        "title": "Telefon Olka",
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=15)).isoformat(),
    }
    async with httpx.AsyncClient(transport=crm._transport, base_url="http://test") as plain:
        olek = await bearer(plain, "olek@contentum.pl", PASSWORD)  # a client without cookies
        created = await plain.post("/api/activities", json=call, headers=olek)
        assert created.status_code == 201, created.text
    ewa = httpx.AsyncClient(transport=crm._transport, base_url="http://test")
    async with ewa:
        await browser_sign_in(ewa, "ewa@contentum.pl", PASSWORD)
        week = {"start": TOMORROW.isoformat(), "end": (TOMORROW + timedelta(days=2)).isoformat()}

        async def overlaid() -> list[dict[str, Any]]:
            events = (await ewa.get("/calendar/events", params={**week, "group": "1"})).json()
            return [e for e in events if "Telefon Olka" in e["title"]]

        async def shown() -> bool:  # once the calendar has learnt Olek's group from events
            return bool(await overlaid())

        await eventually(shown, timeout=10)
        [event] = await overlaid()
        assert event["title"] == "Olek: Telefon Olka" and event["editable"] is False
        own = (await ewa.get("/calendar/events", params=week)).json()
        assert not [e for e in own if "Telefon Olka" in e["title"]]


async def test_odd_times_from_the_page_are_answered_not_crashed_on(
    crm: httpx.AsyncClient, api: dict[str, str], csrf: dict[str, str]
) -> None:
    blank = await crm.get(
        "/calendar/activities/new", params={"start": "soon", "end": "later"}, headers=HTMX
    )
    assert blank.status_code == 200 and 'name="start"' in blank.text
    await crm.post("/calendar/activities", data=form(title="Nie do ruszenia"), headers=csrf)
    activity = await created(crm, api, "Nie do ruszenia")
    moved = await crm.post(
        f"/calendar/activities/{activity['id']}/move", data={"start": "nonsense"}, headers=csrf
    )
    assert moved.status_code < 500
    unchanged = await created(crm, api, "Nie do ruszenia")
    assert unchanged["start"] == activity["start"] and unchanged["end"] == activity["end"]


async def test_a_series_says_how_it_repeats_in_words(
    crm: httpx.AsyncClient, api: dict[str, str], csrf: dict[str, str]
) -> None:
    weekly = form(title="Odprawa tygodniowa", repeat="WEEKLY", until="2027-03-31")
    assert (await crm.post("/calendar/activities", data=weekly, headers=csrf)).status_code == 204
    activity = await created(crm, api, "Odprawa tygodniowa")

    shown = await crm.get(f"/calendar/activities/{activity['id']}", headers=HTMX)

    assert activity["rrule"].startswith("FREQ=WEEKLY;UNTIL=")
    assert '<dd class="repeats">every week, until Mar 31, 2027</dd>' in shown.text
    assert "FREQ=" not in shown.text


async def test_a_heads_new_group_address_is_shown_under_the_groups_calendar(
    crm: httpx.AsyncClient, api: dict[str, str], csrf: dict[str, str]
) -> None:
    both = {**api, **csrf}
    team = (await crm.post("/api/teams", json={"name": "Zachód"}, headers=both)).json()["id"]
    body = {"email": "zofia@contentum.pl", "name": "Zofia", "password": PASSWORD}
    body |= {"role": "head", "team_id": team, "locale": "en"}
    zofia = (await crm.post("/api/users", json=body, headers=both)).json()["id"]
    await crm.patch(f"/api/teams/{team}", json={"head_id": zofia}, headers=both)
    async with httpx.AsyncClient(transport=crm._transport, base_url="http://test") as head:
        token = await browser_sign_in(head, "zofia@contentum.pl", PASSWORD)

        async def made() -> httpx.Response | None:  # once the calendar knows whom she heads
            answer = await head.post(
                "/calendar/feed", data={"scope": "group"}, headers={"X-CSRF-Token": token}
            )
            return answer if 'id="feed-url"' in answer.text else None

        group_made = await eventually(made, timeout=10, interval=0.1)
        assert group_made is not None
        page = await head.get("/calendar/sync")

    personal, group_part = group_made.text.split("My group's calendar", 1)
    assert "Your group's new address (shown only now):" in group_part
    assert 'id="feed-url"' in group_part and 'id="feed-url"' not in personal
    assert "Your new address" not in group_made.text
    assert "A subscription is active since" in page.text.split("My group's calendar", 1)[1]


async def test_a_group_address_refused_is_said_under_the_groups_calendar(
    crm: httpx.AsyncClient, api: dict[str, str], csrf: dict[str, str]
) -> None:
    both = {**api, **csrf}
    team = (await crm.post("/api/teams", json={"name": "Bez szefa"}, headers=both)).json()["id"]
    body = {"email": "ksenia@contentum.pl", "name": "Ksenia", "password": PASSWORD}
    body |= {"role": "head", "team_id": team, "locale": "en"}  # a head, not yet leading it
    await crm.post("/api/users", json=body, headers=both)
    async with httpx.AsyncClient(transport=crm._transport, base_url="http://test") as head:
        token = await browser_sign_in(head, "ksenia@contentum.pl", PASSWORD)
        refused = await head.post(
            "/calendar/feed", data={"scope": "group"}, headers={"X-CSRF-Token": token}
        )

    personal, group_part = refused.text.split("My group's calendar", 1)
    assert "The address could not be made." in group_part
    assert "The address could not be made." not in personal


async def test_a_dialogs_address_opened_on_its_own_goes_to_its_page_which_opens_it(
    crm: httpx.AsyncClient, csrf: dict[str, str]
) -> None:
    typed = await crm.get("/calendar/activities/new?all_day=true&start=2030-01-01T10:00")
    page = await crm.get(typed.headers["location"])

    assert typed.status_code == 303
    assert typed.headers["location"] == (
        "/calendar?open=%2Fcalendar%2Factivities%2Fnew%3Fall_day%3Dtrue%26start%3D2030-01-01T10%3A00"
    )
    assert page.status_code == 200 and 'id="activity-dialog-body"' in page.text
