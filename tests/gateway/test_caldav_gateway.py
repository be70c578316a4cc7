"""CalDAV through the gateway: HTTP Basic with a personal token, no cookies, sales only."""

import base64
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

import httpx

from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.gateway.conftest import PASSWORD
from tests.gateway.test_web import browser_sign_in

PROPFIND = b'<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>'


def basic(email: str, secret: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{email}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


async def person(crm: httpx.AsyncClient, api: dict[str, str], **fields: Any) -> dict[str, str]:
    """A new user and their personal API token, as Basic credentials."""
    body = {"name": fields["email"], "password": PASSWORD, **fields}
    assert (await crm.post("/api/users", json=body, headers=api)).status_code == 201
    signed = await crm.post(
        "/api/auth/token", data={"username": fields["email"], "password": PASSWORD}
    )
    bearer = {"Authorization": f"Bearer {signed.json()['access_token']}"}
    made = await crm.post("/api/auth/tokens", json={"name": "telefon"}, headers=bearer)
    return basic(fields["email"], made.json()["token"])


def event(uid: str) -> bytes:
    start = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y%m%dT%H0000Z")
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Phone//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:{start}\r\nDTSTART:{start}\r\nDURATION:PT30M\r\n"
        "SUMMARY:Spotkanie z telefonu\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


async def test_a_calendar_program_signs_in_with_a_token_and_gets_no_cookie(
    crm: httpx.AsyncClient, api: dict[str, str]
) -> None:
    crm.cookies.clear()
    anna = await person(crm, api, email="anna.dav@contentum.pl", role="manager")
    found = await crm.request("PROPFIND", "/", content=PROPFIND, headers={**anna, "Depth": "0"})
    assert found.status_code == 207, found.text
    principal = ET.fromstring(found.content).findtext(".//{DAV:}current-user-principal/{DAV:}href")
    assert principal is not None
    assert principal.startswith("/dav/principals/")
    user_id = principal.split("/")[3]
    path = f"/dav/calendars/{user_id}/activities/phone.ics"
    put = await crm.put(path, content=event("phone@example.com"), headers=anna)
    assert put.status_code == 201, put.text  # no CSRF token: Basic, not a browser
    got = await crm.get(path, headers=anna)
    assert got.status_code == 200 and "Spotkanie z telefonu" in got.text
    head = await crm.head(path, headers=anna)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(got.content))
    assert "set-cookie" not in found.headers and "set-cookie" not in got.headers
    feed = await crm.post("/api/calendar/feed", headers=api)
    feed_path = "/" + feed.json()["url"].split("://", 1)[1].split("/", 1)[1]
    fetched = await crm.get(feed_path)
    assert fetched.status_code == 200 and "set-cookie" not in fetched.headers
    assert (await crm.head(feed_path)).headers["etag"] == fetched.headers["etag"]


async def test_discovery_starts_at_the_well_known_address(crm: httpx.AsyncClient) -> None:
    answer = await crm.request("PROPFIND", "/.well-known/caldav")
    assert answer.status_code == 301 and answer.headers["location"] == "/dav/"


async def test_wrong_or_missing_credentials_ask_for_basic_and_count_as_failed_sign_ins(
    crm: httpx.AsyncClient, api: dict[str, str]
) -> None:
    await person(crm, api, email="bogdan.dav@contentum.pl", role="manager")
    missing = await crm.request("PROPFIND", "/dav/")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith('Basic realm="Contentum CRM"')
    wrong = basic("bogdan.dav@contentum.pl", "crm_pat_guessed")
    answers = [
        (await crm.request("PROPFIND", "/dav/", headers=wrong)).status_code for _ in range(6)
    ]
    assert answers == [401] * 5 + [429]
    password = basic("bogdan.dav@contentum.pl", PASSWORD)  # a password is no app password
    assert (await crm.request("PROPFIND", "/dav/", headers=password)).status_code == 429


async def test_staff_of_other_departments_are_refused(
    crm: httpx.AsyncClient, api: dict[str, str]
) -> None:
    department = await crm.post("/api/departments", json={"name": "Księgowość"}, headers=api)
    staff = await person(
        crm,
        api,
        email="ksiegowa.dav@contentum.pl",
        role="staff",
        department_id=department.json()["id"],
    )
    assert (await crm.request("PROPFIND", "/dav/", headers=staff)).status_code == 403


async def test_the_phone_page_makes_an_app_password_that_calendar_apps_sign_in_with(
    crm: httpx.AsyncClient,
) -> None:
    token = await browser_sign_in(crm, ADMIN_EMAIL, ADMIN_PASSWORD)
    page = await crm.get("/calendar/sync")
    assert 'readonly value="http://test/" id="caldav-server"' in page.text
    made = await crm.post("/calendar/app-password", headers={"X-CSRF-Token": token})
    assert made.status_code == 200
    secret = re.search(r'value="(crm_pat_[^"]+)" id="app-password"', made.text)
    assert secret is not None
    crm.cookies.clear()
    found = await crm.request("PROPFIND", "/dav/", headers=basic(ADMIN_EMAIL, secret.group(1)))
    assert found.status_code == 207
