"""The gateway forwards `/api/...` to the owning service with an identity, or says who is down."""

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from services.embedded import create_embedded_app, prepare_databases
from services.gateway.app import create_app
from services.gateway.body_limits import MIB
from services.gateway.settings import GatewaySettings
from services.gateway.web.security import (
    CONTENT_SECURITY_POLICY,
    CSRF_COOKIE,
    SECURITY_HEADERS,
    csrf_token,
)
from shared.bus import InProcessBus
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, TEST_SECRET, bearer, running
from shared.testing.changes import changed
from shared.testing.waiting import eventually


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
async def embedded(pg_server: str) -> AsyncIterator[httpx.AsyncClient]:
    urls = await prepare_databases(pg_server, fresh=True)
    app = create_embedded_app(
        urls, identity_secret=TEST_SECRET, admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD
    )
    async with running(app) as client:
        client.headers.update(await bearer(client, ADMIN_EMAIL, ADMIN_PASSWORD))
        yield client


async def test_a_company_created_through_the_gateway_reaches_planning(
    embedded: httpx.AsyncClient,
) -> None:
    created = await embedded.post(
        "/api/companies", json={"name": "Gdańska Stocznia", "tax_id": "5260250274"}
    )
    assert created.status_code == 201, created.text

    async def listed() -> bool:
        items = (await embedded.get("/api/plans/clients")).json()["items"]
        return any(item["id"] == created.json()["id"] for item in items)

    await eventually(listed, timeout=2)


async def test_validation_errors_pass_through_unchanged(embedded: httpx.AsyncClient) -> None:
    answer = await embedded.post("/api/companies", json={"name": "X", "tax_id": "1234567890"})

    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "tax_id"]


async def test_updated_since_and_its_cursor_reach_every_services_lists(
    embedded: httpx.AsyncClient,
) -> None:
    warsaw = timezone(timedelta(hours=1))  # an offset with `+`, which a query must escape
    since = (datetime.now(UTC) - timedelta(seconds=1)).astimezone(warsaw).isoformat()
    made = [
        (await embedded.post("/api/companies", json={"name": f"Kopia {n}"})).json()["id"]
        for n in range(3)
    ]

    listed = await changed(lambda params: embedded.get("/api/companies", params=params), since)

    assert [item["id"] for item in listed if item["id"] in made] == made
    future = {"updated_since": "2100-01-01T00:00:00+01:00"}
    for path in (
        "/api/companies",
        "/api/contacts",
        "/api/deals",
        "/api/activities",
        "/api/plans/lines",
        "/api/documents",
        "/api/feed",
        "/api/requests",
        "/api/services",
        "/api/users",
    ):
        answer = await embedded.get(path, params=future)
        assert answer.status_code == 200 and answer.json()["items"] == [], path
    for path in ("/api/teams", "/api/departments"):
        assert (await embedded.get(path, params=future)).json() == [], path


async def test_a_cursor_pages_only_the_order_it_came_from(embedded: httpx.AsyncClient) -> None:
    since = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    company = (await embedded.post("/api/companies", json={"name": "Kursor A"})).json()["id"]
    await embedded.post("/api/companies", json={"name": "Kursor B"})
    for n in range(2):
        body = {"title": f"Kursor {n}", "company_id": company}
        assert (await embedded.post("/api/deals", json=body)).status_code == 201

    async def cursor_of(path: str, **params: str) -> str:
        page = await embedded.get(path, params={"limit": "1", **params})
        assert page.status_code == 200, page.text
        return str(page.json()["next_cursor"])

    mixed = []
    for path in ("/api/companies", "/api/deals"):
        usual = await cursor_of(path)
        of_changes = await cursor_of(path, updated_since=since)
        mixed += [
            await embedded.get(path, params={"cursor": of_changes}),
            await embedded.get(path, params={"cursor": usual, "updated_since": since}),
        ]
    by_title = await cursor_of("/api/deals", sort="title")
    mixed.append(await embedded.get("/api/deals", params={"cursor": by_title, "sort": "-title"}))
    mixed.append(await embedded.get("/api/deals", params={"cursor": by_title}))
    followed = await embedded.get("/api/deals", params={"cursor": by_title, "sort": "title"})

    for answer in mixed:
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"][0]["loc"] == ["query", "cursor"]
    assert followed.status_code == 200 and followed.json()["items"]


async def test_an_unknown_api_path_is_404(embedded: httpx.AsyncClient) -> None:
    answer = await embedded.get("/api/nowhere")

    assert answer.status_code == 404
    assert answer.json() == {"detail": "no API at /api/nowhere"}


async def test_the_gateway_reports_itself_ready(embedded: httpx.AsyncClient) -> None:
    assert (await embedded.get("/readyz")).json() == {"database": "ok"}


@asynccontextmanager
async def gateway_alone(
    database_url: str, settings_for: Any, **backends: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway whose backends are at the given addresses, its administrator signed in."""
    settings = GatewaySettings(
        **settings_for(database_url),
        **backends,
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
    )
    async with running(create_app(settings, InProcessBus())) as gateway:
        gateway.headers.update(await bearer(gateway, ADMIN_EMAIL, ADMIN_PASSWORD))
        yield gateway


async def test_a_service_that_does_not_answer_is_a_503_naming_it(
    new_database: Any, settings_for: Any
) -> None:
    deals_url = f"http://127.0.0.1:{closed_port()}"
    async with gateway_alone(
        await new_database("gateway"), settings_for, deals_url=deals_url, service_timeout=1
    ) as gateway:
        down = await gateway.get("/api/companies")
        unconfigured = await gateway.get("/api/plans/clients")

    assert down.status_code == 503
    assert down.json()["service"] == "deals"
    assert "deals service is unavailable" in down.json()["detail"]
    assert unconfigured.status_code == 503
    assert unconfigured.json()["service"] == "planning"


async def test_a_slow_service_is_a_503_after_the_timeout(
    new_database: Any, settings_for: Any
) -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        deals_url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        database = await new_database("gateway")
        async with gateway_alone(
            database, settings_for, deals_url=deals_url, service_timeout=0.5
        ) as gateway:
            answer = await gateway.get("/api/companies")

    assert answer.status_code == 503
    assert "did not answer in time" in answer.json()["detail"]


async def test_a_calendar_feed_is_served_without_signing_in_and_links_back_to_the_gateway(
    embedded: httpx.AsyncClient,
) -> None:
    start = "2030-01-07T09:00:00+01:00"
    call = {"kind": "call", "title": "Telefon", "start": start, "end": "2030-01-07T09:30:00+01:00"}
    assert (await embedded.post("/api/activities", json=call)).status_code == 201
    address = (await embedded.post("/api/calendar/feed")).json()
    assert address["url"].startswith("http://test/api/calendar/feeds/")
    path = address["url"].removeprefix("http://test")
    anonymous = httpx.AsyncClient(transport=embedded._transport, base_url="http://test")
    async with anonymous:
        feed = await anonymous.get(path)
        assert feed.status_code == 200, feed.text
        assert "SUMMARY:Telefon" in feed.text and "http://test/calendar?activity=" in feed.text
        unchanged = await anonymous.get(path, headers={"If-None-Match": feed.headers["etag"]})
        assert unchanged.status_code == 304
        assert (await anonymous.get("/api/calendar/feeds/nothing.ics")).status_code == 404
        assert (await anonymous.get("/api/activities")).status_code == 401


async def test_a_due_reminder_becomes_a_notification_of_the_owner(
    embedded: httpx.AsyncClient,
) -> None:
    soon = datetime.now(UTC) + timedelta(minutes=3)
    call = {
        "kind": "call",
        "title": "Oddzwonić do Nowaka",
        "start": soon.isoformat(),
        "end": (soon + timedelta(minutes=10)).isoformat(),
        "reminders": [5],  # already due: reminded at once
    }
    assert (await embedded.post("/api/activities", json=call)).status_code == 201

    async def reminded() -> bool:
        items = (await embedded.get("/api/notifications")).json()["items"]
        return any("Oddzwonić do Nowaka" in item["title"] for item in items)

    await eventually(reminded, timeout=15, interval=0.2)


async def test_a_call_the_in_process_passage_leaves_to_the_routes_is_answered_whole(
    embedded: httpx.AsyncClient,
) -> None:
    # A feed's address is not passed in process (its token is in the path): the routes forward
    # it, and the service's answer, already whole, must reach the caller whole too.
    answer = await embedded.get("/api/calendar/feeds/")

    assert answer.status_code == 404
    assert int(answer.headers["content-length"]) == len(answer.content) > 0
    assert answer.json()["detail"]


@asynccontextmanager
async def api_client(embedded: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `embedded`'s CRM with its token and no cookies (`embedded` has the CSRF
    cookie its sign-in was sent)."""
    async with httpx.AsyncClient(
        transport=embedded._transport,
        base_url=embedded.base_url,
        headers={"authorization": embedded.headers["authorization"]},
    ) as client:
        yield client


async def test_an_api_clients_read_passed_in_process_carries_the_security_headers_once(
    embedded: httpx.AsyncClient,
) -> None:
    async with api_client(embedded) as client:
        answer = await client.get("/api/pipelines")

    assert answer.status_code == 200
    names = [name.lower() for name, _ in answer.headers.raw]
    for name, value in SECURITY_HEADERS.items():
        assert names.count(name.lower().encode()) == 1 and answer.headers[name] == value
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "set-cookie" not in answer.headers
    assert int(answer.headers["content-length"]) == len(answer.content)


async def test_a_bearer_token_is_read_with_the_spaces_http_allows_around_it(
    embedded: httpx.AsyncClient,
) -> None:
    token = embedded.headers["authorization"].removeprefix("Bearer ")
    async with api_client(embedded) as client:
        answers = [
            await client.get(path, headers={"authorization": written})
            for path in ("/api/me", "/api/pipelines")
            for written in (f"Bearer  {token}", f"bearer {token} ", f"Bearer\t{token}")
        ]

    assert [answer.status_code for answer in answers] == [200, 200, 401] * 2


async def test_an_api_clients_write_passed_in_process_is_limited_as_the_routes_are(
    embedded: httpx.AsyncClient,
) -> None:
    too_big = b'{"title": "' + b"x" * MIB + b'"}'

    async with api_client(embedded) as client:
        answer = await client.post(
            "/api/deals", content=too_big, headers={"content-type": "application/json"}
        )

    assert answer.status_code == 413
    assert answer.headers["x-frame-options"] == SECURITY_HEADERS["X-Frame-Options"]


async def test_a_browsers_write_passed_in_process_needs_the_csrf_token(
    embedded: httpx.AsyncClient,
) -> None:
    session = embedded.headers["authorization"].removeprefix("Bearer ")
    token = csrf_token(TEST_SECRET, session)

    async def post_as_browser(csrf: str | None) -> httpx.Response:
        request = embedded.build_request("POST", "/api/companies", json={"name": "Z przeglądarki"})
        del request.headers["authorization"]
        request.headers["cookie"] = f"crm_session={session}; {CSRF_COOKIE}={token}"
        if csrf:
            request.headers["x-csrf-token"] = csrf
        return await embedded.send(request)

    refused = await post_as_browser(None)
    wrong = await post_as_browser("another-token")
    created = await post_as_browser(token)

    assert refused.status_code == wrong.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert created.status_code == 201, created.text
    assert created.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def _requests_counted(metrics: str, service: str, route: str) -> float:
    """How many GETs answered 200 `crm_http_request_seconds` holds for `service` and `route`."""
    line = (
        f'crm_http_request_seconds_count{{method="GET",route="{route}",'
        f'service="{service}",status="200"}} '
    )
    return sum(float(row[len(line) :]) for row in metrics.splitlines() if row.startswith(line))


async def test_a_call_passed_in_process_is_counted_once_by_the_service_that_answers_it(
    embedded: httpx.AsyncClient,
) -> None:
    before = (await embedded.get("/metrics")).text

    assert (await embedded.get("/api/pipelines")).status_code == 200

    after = (await embedded.get("/metrics")).text
    counted = _requests_counted(after, "deals", "/api/pipelines")
    assert counted == _requests_counted(before, "deals", "/api/pipelines") + 1
    proxied = _requests_counted(after, "gateway", "/api/{path:path}")
    assert proxied == _requests_counted(before, "gateway", "/api/{path:path}")
