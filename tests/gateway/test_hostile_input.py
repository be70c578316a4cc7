"""Input no client should send is answered with a 4xx naming what is wrong, through the gateway
as an API client sends it: NUL characters, strange paths, nulls and unknown ids in changes,
numbers and dates out of range, broken files."""

from typing import Any
from uuid import uuid4

import httpx
import pytest

from shared.testing.waiting import eventually
from tests.gateway.conftest import PASSWORD


@pytest.fixture(scope="module")
async def records(crm: httpx.AsyncClient, api: dict[str, str]) -> dict[str, Any]:
    """A company, a deal, a manager of a group and their plan line, to change badly."""
    company = await crm.post("/api/companies", json={"name": "Twarda Stal"}, headers=api)
    deal = await crm.post(
        "/api/deals", json={"title": "Walcarka", "company_id": company.json()["id"]}, headers=api
    )
    team = await crm.post("/api/teams", json={"name": "Wschód"}, headers=api)
    manager = await crm.post(
        "/api/users",
        json={
            "email": "hostile@contentum.pl",
            "name": "Halina",
            "password": PASSWORD,
            "team_id": team.json()["id"],
        },
        headers=api,
    )
    plan = {
        "manager_id": manager.json()["id"],
        "company_id": company.json()["id"],
        "period": "month",
        "start_date": "2026-12-01",
        "amount": "1000.00",
    }

    async def planned() -> dict[str, Any] | None:  # once planning has heard of the manager
        line = await crm.post("/api/plans/lines", json=plan, headers=api)
        return line.json() if line.status_code == 201 else None

    return {
        "company": company.json(),
        "deal": deal.json(),
        "user": manager.json(),
        "line": await eventually(planned),
    }


def wrong_fields(answer: httpx.Response) -> list[list[str]]:
    assert answer.status_code == 422, answer.text
    return [problem["loc"] for problem in answer.json()["detail"]]


# --- NUL characters ------------------------------------------------------------------------


async def test_a_nul_character_in_a_json_body_is_refused_naming_the_field(
    crm: httpx.AsyncClient, api: dict[str, str]
) -> None:
    answer = await crm.post("/api/companies", json={"name": "Zła\x00Nazwa"}, headers=api)

    assert wrong_fields(answer) == [["body", "name"]]


# Half of a surrogate pair, as JSON may write it (`\ud800` alone): no character at all.
HALF = b'"a\\ud800b"'


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/api/companies", b'{"name": %s}', "name"),
        ("PATCH", "/api/deals/{deal}", b'{"title": %s}', "title"),
        (
            "POST",
            "/api/activities",
            b'{"kind": "task", "title": %s, "start": "2026-12-01T10:00:00Z"}',
            "title",
        ),
        ("POST", "/api/posts", b'{"text": %s}', "text"),
        ("POST", "/api/teams", b'{"name": %s}', "name"),
        (
            "POST",
            "/api/users",
            b'{"email": "x@contentum.pl", "name": "X", "password": %s}',
            "password",
        ),
        ("POST", "/api/companies", b"{%s: 1}", None),  # a key: the body as a whole
    ],
    ids=["company", "deal", "activity", "post", "team", "user-password", "key"],
)
async def test_half_a_surrogate_pair_is_refused_naming_the_field_and_never_logged(
    crm: httpx.AsyncClient,
    api: dict[str, str],
    records: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    body: bytes,
    field: str | None,
) -> None:
    content = body % HALF
    url = path.format(deal=records["deal"]["id"])
    headers = {**api, "content-type": "application/json"}

    answer = await crm.request(method, url, content=content, headers=headers)

    assert wrong_fields(answer) == [["body", field] if field else ["body"]]
    assert "\ufffd" in answer.text or "surrogate" in answer.text
    assert "a\ud800b" not in caplog.text


async def test_a_nul_character_in_a_query_is_refused_naming_the_parameter(
    crm: httpx.AsyncClient, api: dict[str, str]
) -> None:
    answer = await crm.get("/api/companies", params={"q": "ab\x00c"}, headers=api)

    assert wrong_fields(answer) == [["query", "q"]]


async def test_a_nul_character_in_an_ics_file_is_refused(
    crm: httpx.AsyncClient, api: dict[str, str]
) -> None:
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:nul@example.pl\r\n"
        "DTSTART:20261201T100000Z\r\nDTEND:20261201T110000Z\r\nSUMMARY:a\x00b\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    answer = await crm.post(
        "/api/calendar/import", files={"file": ("a.ics", ics.encode())}, headers=api
    )

    assert wrong_fields(answer) == [["body", "file"]]
    assert "NUL" in answer.json()["detail"][0]["ctx"]["reason"]


@pytest.mark.parametrize(
    "content",
    [b"name,tax_id\r\nZ\x00a,\r\n", b"name\rtax_id\nKolej,5260250274\n"],
    ids=["nul", "bare-cr-in-header"],
)
async def test_a_csv_file_with_a_nul_or_a_bare_cr_is_answered_as_a_file_problem(
    crm: httpx.AsyncClient, api: dict[str, str], content: bytes
) -> None:
    answer = await crm.post(
        "/api/imports",
        data={"record_type": "company"},
        files={"file": ("a.csv", content, "text/csv")},
        headers=api,
    )

    assert answer.status_code < 500, answer.text
    if answer.status_code == 422:
        assert wrong_fields(answer) == [["body", "file"]]


# --- paths ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/deals/%19%7C", "/api/companies/%C3%BA%F0%AF%82%87%19"])
async def test_a_control_character_in_a_forwarded_path_is_a_422(
    crm: httpx.AsyncClient, api: dict[str, str], path: str
) -> None:
    answer = await crm.get(path, headers=api)

    assert wrong_fields(answer)[0][0] == "path"


@pytest.mark.parametrize("path", ["/api/deals/%2F", "/api/companies/a%2Fb%2F%2Fc", "/api/feed%2F"])
async def test_an_encoded_slash_in_a_forwarded_path_is_a_4xx(
    crm: httpx.AsyncClient, api: dict[str, str], path: str
) -> None:
    answer = await crm.get(path, headers=api)

    assert answer.status_code in (404, 422), answer.text


async def test_dot_segments_never_reach_a_service_s_paths_outside_the_api(
    crm: httpx.AsyncClient, api: dict[str, str]
) -> None:
    answer = await crm.get("/api/deals/..%2F..%2Fmetrics", headers=api)

    assert answer.status_code == 404


# --- changes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "body", "field"),
    [
        ("company", {"name": None}, "name"),
        ("deal", {"probability": None}, "probability"),
        ("deal", {"title": None}, "title"),
        ("user", {"email": None}, "email"),
        ("user", {"locale": None}, "locale"),
        ("line", {"amount": None}, "amount"),
        ("me", {"time_zone": None}, "time_zone"),
    ],
)
async def test_an_explicit_null_for_a_field_that_cannot_be_empty_is_a_422(
    crm: httpx.AsyncClient,
    api: dict[str, str],
    records: dict[str, Any],
    where: str,
    body: dict[str, Any],
    field: str,
) -> None:
    paths = {
        "company": f"/api/companies/{records['company']['id']}",
        "deal": f"/api/deals/{records['deal']['id']}",
        "user": f"/api/users/{records['user']['id']}",
        "line": f"/api/plans/lines/{records['line']['id']}",
        "me": "/api/me",
    }

    answer = await crm.patch(paths[where], json=body, headers=api)

    assert wrong_fields(answer) == [["body", field]]


async def test_a_field_that_may_be_emptied_still_takes_null(
    crm: httpx.AsyncClient, api: dict[str, str], records: dict[str, Any]
) -> None:
    answer = await crm.patch(
        f"/api/deals/{records['deal']['id']}", json={"amount": None}, headers=api
    )

    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("field", ["team_id", "department_id"])
async def test_an_unknown_group_or_department_in_a_change_is_a_422(
    crm: httpx.AsyncClient, api: dict[str, str], records: dict[str, Any], field: str
) -> None:
    answer = await crm.patch(
        f"/api/users/{records['user']['id']}", json={field: str(uuid4())}, headers=api
    )

    assert ["body", field] in wrong_fields(answer)


async def test_an_unknown_time_zone_is_refused_for_oneself_and_for_a_user(
    crm: httpx.AsyncClient, api: dict[str, str], records: dict[str, Any]
) -> None:
    mine = await crm.patch("/api/me", json={"time_zone": "Mars/Olympus"}, headers=api)
    theirs = await crm.patch(
        f"/api/users/{records['user']['id']}", json={"time_zone": "Europe/Nowhere"}, headers=api
    )

    assert wrong_fields(mine) == [["body", "time_zone"]]
    assert wrong_fields(theirs) == [["body", "time_zone"]]


# --- numbers and dates ---------------------------------------------------------------------


async def test_a_number_too_large_for_a_filter_is_a_422(
    crm: httpx.AsyncClient, api: dict[str, str]
) -> None:
    answer = await crm.get("/api/deals", params={"amount_min": "1e300"}, headers=api)

    assert wrong_fields(answer) == [["query", "amount_min"]]


async def test_a_number_past_what_json_floats_hold_is_a_422(
    crm: httpx.AsyncClient, api: dict[str, str], records: dict[str, Any]
) -> None:
    answer = await crm.post(
        "/api/deals",
        content=b'{"title": "Bez granic", "company_id": "%s", "amount": 1e400}'
        % records["company"]["id"].encode(),
        headers={**api, "content-type": "application/json"},
    )

    assert wrong_fields(answer) == [["body", "amount"]]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/plans/periods?period=month&start_date=9999-12-01&count=6", None),
        ("GET", "/api/plans/summary?period=year&start_date=0001-01-01", None),
        ("POST", "/api/plans/lines/copy", {"period": "month", "start_date": "0001-01-01"}),
        ("POST", "/api/plans/locks", {"period": "month", "start_date": "9999-12-01"}),
        (
            "GET",
            "/api/calendar/occurrences?start=0001-01-01T00:00:00Z&end=0001-01-08T00:00:00Z",
            None,
        ),
        (
            "POST",
            "/api/activities",
            {
                "kind": "call",
                "title": "Na końcu czasu",
                "start": "9999-12-31T22:00:00Z",
                "end": "9999-12-31T23:00:00Z",
            },
        ),
    ],
    ids=["periods", "summary", "copy", "lock", "occurrences", "activity"],
)
async def test_dates_at_the_ends_of_the_calendar_are_a_422(
    crm: httpx.AsyncClient,
    api: dict[str, str],
    records: dict[str, Any],
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    if body is not None and path.endswith("copy"):
        body = {**body, "manager_id": records["user"]["id"]}

    answer = await crm.request(method, path, json=body, headers=api)

    assert wrong_fields(answer)


async def test_an_ics_event_at_the_end_of_the_calendar_is_refused_naming_it(
    crm: httpx.AsyncClient, api: dict[str, str]
) -> None:
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:y1@example.pl\r\n"
        "DTSTART:00010101T100000Z\r\nDURATION:PT1H\r\nSUMMARY:Rok pierwszy\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    answer = await crm.post(
        "/api/calendar/import", files={"file": ("a.ics", ics.encode())}, headers=api
    )

    assert wrong_fields(answer) == [["body", "file"]]
    assert "y1@example.pl" in answer.json()["detail"][0]["msg"]


@pytest.mark.parametrize("path", ["/api/deals", "/api/companies", "/api/activities"])
@pytest.mark.parametrize("since", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59-01:00"])
async def test_a_sync_from_beyond_the_calendar_is_refused_naming_updated_since(
    crm: httpx.AsyncClient, api: dict[str, str], path: str, since: str
) -> None:
    answer = await crm.get(path, params={"updated_since": since}, headers=api)

    assert wrong_fields(answer) == [["query", "updated_since"]]
    assert "1900" in answer.text


@pytest.mark.parametrize("name", ["Zła\x08Nazwa", "Zła\x9bNazwa", "Zła\x1b[31mNazwa"])
async def test_a_control_character_in_a_name_is_refused_naming_the_field(
    crm: httpx.AsyncClient, api: dict[str, str], name: str
) -> None:
    answer = await crm.post("/api/teams", json={"name": name}, headers=api)

    assert wrong_fields(answer) == [["body", "name"]]
    assert "control characters" in answer.text


async def test_tabs_and_new_lines_are_kept_in_text(
    crm: httpx.AsyncClient, api: dict[str, str]
) -> None:
    answer = await crm.post("/api/posts", json={"text": "Wiersz 1\n\tWiersz 2\r\n"}, headers=api)

    assert answer.status_code == 201, answer.text
