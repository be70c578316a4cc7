"""Webhooks: a receiver gets each subscribed event once it answers, signed as Standard Webhooks
says (checked with the `standardwebhooks` package), in order per aggregate through an outage;
private addresses are refused; a receiver failing for the whole retry window is switched off;
the delivery log forgets finished deliveries after its days."""

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.gateway.tables import WebhookAttempt, WebhookDelivery, WebhookSubscription
from services.gateway.usecases import webhooks
from shared.bus import InProcessBus
from shared.contracts.deals import CompanyCreated, CompanyUpdated, DealArchived
from shared.db import unit_of_work
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, running
from shared.testing.people import as_message
from shared.testing.waiting import eventually
from tests.gateway.test_web import browser_sign_in


class Receiver:
    """A small HTTP server taking webhooks: it records each request and answers `status`."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode().split("\r\n")
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in head[1:] if line)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        if self.status < 300:
            self.received.append((headers, body))
        writer.write(
            f"HTTP/1.1 {self.status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok".encode()
        )
        await writer.drain()
        writer.close()


# How long the receiver stays down: a second in the suite; `CRM_TEST_WEBHOOK_OUTAGE=60` for the
# minute of the acceptance (the retries, every 0.1-0.8 s here, go on as long as it lasts).
OUTAGE_SECONDS = float(os.environ.get("CRM_TEST_WEBHOOK_OUTAGE", "1"))

Gateway = Callable[..., AbstractAsyncContextManager[tuple[httpx.AsyncClient, dict[str, str]]]]


@pytest.fixture
def hooked_gateway(service_database: Any, settings_for: Any, bus: InProcessBus) -> Gateway:
    """A gateway whose webhooks may reach 127.0.0.1 and retry within a second (a day in life)."""

    @asynccontextmanager
    async def start(**webhook: Any) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
        settings = GatewaySettings(
            **settings_for(await service_database("gateway")),
            admin_email=ADMIN_EMAIL,
            admin_password=ADMIN_PASSWORD,
            webhook_allowed_hosts=["127.0.0.1"],
            webhook_first_retry_seconds=0.1,
            webhook_longest_retry_seconds=0.8,
            webhook_poll_seconds=0.05,
            **webhook,
        )
        async with running(create_app(settings, bus)) as client:
            yield client, await bearer(client, ADMIN_EMAIL, ADMIN_PASSWORD)

    return start


def company_events(company_id: Any, name: str) -> list[Any]:
    return [
        CompanyCreated(company_id=company_id, name=name),
        CompanyUpdated(company_id=company_id, name=f"{name} 2"),
        CompanyUpdated(company_id=company_id, name=f"{name} 3"),
    ]


async def test_a_receiver_gets_every_subscribed_event_signed_and_in_order_through_an_outage(
    hooked_gateway: Gateway, bus: InProcessBus
) -> None:
    receiver = Receiver()
    await receiver.start()
    async with hooked_gateway() as (gateway, admin):
        made = await gateway.post(
            "/api/webhooks",
            json={
                "url": receiver.url,
                "event_types": [CompanyCreated.type, CompanyUpdated.type],
                "filters": {"tax_id": [None, "5260250274"]},
            },
            headers=admin,
        )
        assert made.status_code == 201, made.text
        hook = made.json()
        companies = [uuid4() for _ in range(3)]
        sent: dict[str, list[str]] = {str(c): [] for c in companies}

        async def publish(events: list[Any], subject: Any) -> None:
            for data in events:
                message = as_message(data, subject)
                sent[str(subject)].append(message.envelope["id"])
                await bus.publish([message])

        for n, company in enumerate(companies):
            await publish(company_events(company, f"Firma {n}")[:2], company)
        await bus.publish(
            [as_message(CompanyCreated(company_id=uuid4(), name="Other", tax_id="7740001454"), "x")]
        )
        await bus.publish([as_message(_archived_deal(), "deal")])  # not subscribed
        await eventually(lambda: len(receiver.received) == 6, timeout=10)

        await receiver.stop()  # the receiver is down: deliveries fail and are tried again
        for company in companies:
            await publish(company_events(company, "Po awarii")[2:] * 2, company)
        await eventually(lambda: _failed_attempts(gateway, admin, hook["id"]), timeout=10)
        await asyncio.sleep(OUTAGE_SECONDS)
        await receiver.start()
        await eventually(lambda: len(receiver.received) == 12, timeout=15)
        log = (await gateway.get(f"/api/webhooks/{hook['id']}/deliveries", headers=admin)).json()
    await receiver.stop()

    verifier = Webhook(hook["secret"])
    arrived: dict[str, list[str]] = {str(c): [] for c in companies}
    for headers, body in receiver.received:
        event = verifier.verify(body, headers)  # raises unless the signature is right
        assert headers["webhook-id"] == event["id"]
        arrived[event["subject"]].append(event["id"])
    assert arrived == sent  # each once, in order per company
    assert {d["status"] for d in log} == {"delivered"}
    retried = [d for d in log if len(d["attempts"]) > 1]
    assert retried and all(a["error"] for d in retried for a in d["attempts"][:-1])
    assert all(d["attempts"][-1]["status_code"] == 200 for d in log)


def _archived_deal() -> DealArchived:
    return DealArchived(
        deal_id=uuid4(),
        title="X",
        company_id=uuid4(),
        owner_id=uuid4(),
        amount=None,
        currency="PLN",
        expected_close_date=None,
        pipeline_id=uuid4(),
        stage_id=uuid4(),
        stage_kind="open",
        probability=10,
        archived=True,
    )


async def _failed_attempts(gateway: httpx.AsyncClient, admin: dict[str, str], hook: str) -> bool:
    log = (await gateway.get(f"/api/webhooks/{hook}/deliveries", headers=admin)).json()
    return any(attempt["error"] for delivery in log for attempt in delivery["attempts"])


@pytest.mark.parametrize(
    "url",
    [
        "https://10.1.2.3/hooks",
        "https://localhost:8080/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "ftp://example.com/hooks",
        "http://example.com/hooks",  # public, but the events would go unencrypted
    ],
)
async def test_a_subscription_to_a_private_address_is_refused(
    hooked_gateway: Gateway, url: str
) -> None:
    async with hooked_gateway() as (gateway, admin):
        refused = await gateway.post(
            "/api/webhooks", json={"url": url, "event_types": [CompanyCreated.type]}, headers=admin
        )
        listed = (await gateway.get("/api/webhooks", headers=admin)).json()

    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "url"]
    if url.startswith("http://example.com"):  # refused for its scheme, before any look-up
        assert "https only" in refused.json()["detail"][0]["msg"]
    assert listed == []


async def test_a_receiver_failing_all_day_is_switched_off_and_the_administrator_told(
    hooked_gateway: Gateway, bus: InProcessBus
) -> None:
    receiver = Receiver()
    receiver.status = 500
    await receiver.start()
    async with hooked_gateway(webhook_give_up_seconds=0.5) as (gateway, admin):
        hook = (
            await gateway.post(
                "/api/webhooks",
                json={"url": receiver.url, "event_types": [CompanyCreated.type]},
                headers=admin,
            )
        ).json()
        company = uuid4()
        await bus.publish([as_message(CompanyCreated(company_id=company, name="Zła"), company)])

        async def switched_off() -> bool:
            listed = (await gateway.get("/api/webhooks", headers=admin)).json()
            return not listed[0]["active"]

        await eventually(switched_off, timeout=10)
        notices = (await gateway.get("/api/notifications", headers=admin)).json()
        log = (await gateway.get(f"/api/webhooks/{hook['id']}/deliveries", headers=admin)).json()
    await receiver.stop()

    assert any(n["link"] == "/admin/webhooks" for n in notices["items"])
    assert log[0]["status"] == "failed"
    assert {a["status_code"] for a in log[0]["attempts"]} == {500}


async def test_the_administrator_adds_a_webhook_in_the_page_and_reads_its_deliveries(
    hooked_gateway: Gateway, bus: InProcessBus
) -> None:
    receiver = Receiver()
    await receiver.start()
    async with hooked_gateway() as (gateway, admin):
        csrf = await browser_sign_in(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)
        form = {"X-CSRF-Token": csrf, "HX-Request": "true"}
        refused = await gateway.post(
            "/admin/webhooks",
            data={"url": "http://192.168.1.10/hooks", "event_types": [CompanyCreated.type]},
            headers=form,
        )
        added = await gateway.post(
            "/admin/webhooks",
            data={
                "url": receiver.url,
                "event_types": [CompanyCreated.type, CompanyUpdated.type],
                "filters": "name=Dobra\nname=Lepsza",
            },
            headers=form,
        )
        [hook] = (await gateway.get("/api/webhooks", headers=admin)).json()
        for name in ("Dobra", "Zła"):
            company = uuid4()
            await bus.publish([as_message(CompanyCreated(company_id=company, name=name), company)])
        await eventually(lambda: len(receiver.received) == 1, timeout=10)

        async def logged() -> httpx.Response | None:  # the attempt is written once answered
            page = await gateway.get(f"/admin/webhooks/{hook['id']}")
            return page if "HTTP 200" in page.text else None

        log = await eventually(logged, timeout=10)
        assert log is not None
        switched = await gateway.post(
            f"/admin/webhooks/{hook['id']}/active", data={"active": "false"}, headers=form
        )
        listed = await gateway.get("/admin/webhooks")
    await receiver.stop()

    assert refused.status_code == 422 and 'id="error-url"' in refused.text
    assert added.status_code == 200 and 'id="webhook-secret"' in added.text
    assert hook["filters"] == {"name": ["Dobra", "Lepsza"]}
    assert log.status_code == 200 and "HTTP 200" in log.text
    assert switched.headers["HX-Redirect"] == "/admin/webhooks"
    assert "Włącz" in listed.text or "Switch on" in listed.text
    assert (
        f"Delete the webhook to {receiver.url}?" in listed.text or "Usunąć webhook" in listed.text
    )


async def a_subscription(session: AsyncSession) -> WebhookSubscription:
    """A subscription written straight to the database, for its delivery log."""
    hook = WebhookSubscription(
        url="http://127.0.0.1/hooks",
        event_types=[CompanyCreated.type],
        secret="whsec_x",
        created_by=uuid4(),
    )
    session.add(hook)
    await session.flush()
    return hook


async def test_the_delivery_log_forgets_finished_deliveries_after_its_days(
    hooked_gateway: Gateway,
) -> None:
    async with hooked_gateway() as (gateway, _):
        sessions = gateway._transport.app.state.sessions  # type: ignore[attr-defined]
        now = datetime.now(UTC)
        async with unit_of_work(sessions) as session:
            hook = await a_subscription(session)
            ages = {
                "delivered": 40,
                "failed": 31,
                "pending": 45,  # waits for its subscription, however old
                "recent": 29,
            }
            rows = {
                name: WebhookDelivery(
                    subscription_id=hook.id,
                    event_id=uuid4(),
                    event_type=CompanyCreated.type,
                    aggregate="x",
                    body="{}",
                    status="delivered" if name == "recent" else name,
                    attempts=1,
                    next_attempt_at=now - timedelta(days=days),
                    created_at=now - timedelta(days=days),
                )
                for name, days in ages.items()
            }
            session.add_all(rows.values())
            await session.flush()
            session.add_all(
                WebhookAttempt(
                    delivery_id=row.id, at=row.created_at, status_code=200, milliseconds=1
                )
                for row in rows.values()
            )

        pruned = await webhooks.prune_log(sessions, now=now, kept=timedelta(days=30), batch=1)
        again = await webhooks.prune_log(sessions, now=now, kept=timedelta(days=30))
        async with sessions() as session:
            kept = set(await session.scalars(select(WebhookDelivery.id)))
            attempts = set(await session.scalars(select(WebhookAttempt.delivery_id)))

    assert (pruned, again) == (2, 0)
    assert kept == attempts == {rows["pending"].id, rows["recent"].id}


async def test_the_delivery_log_pages_back_and_shows_one_state(hooked_gateway: Gateway) -> None:
    async with hooked_gateway() as (gateway, admin):
        sessions = gateway._transport.app.state.sessions  # type: ignore[attr-defined]
        now = datetime.now(UTC)
        async with unit_of_work(sessions) as session:
            hook = await a_subscription(session)
            rows = [
                WebhookDelivery(
                    subscription_id=hook.id,
                    event_id=uuid4(),
                    event_type=CompanyCreated.type,
                    aggregate=f"company {n}",
                    body="{}",
                    status="failed" if n % 10 == 0 else "delivered",
                    attempts=1,
                    next_attempt_at=now,
                    created_at=now,
                )
                for n in range(60)
            ]
            session.add_all(rows)
        ids = sorted((row.id for row in rows), reverse=True)
        failed = [row.id for row in sorted(rows, key=lambda r: -r.id) if row.status == "failed"]
        log = f"/api/webhooks/{hook.id}/deliveries"

        first = (await gateway.get(log, params={"limit": 25}, headers=admin)).json()
        second = (
            await gateway.get(log, params={"limit": 25, "before": first[-1]["id"]}, headers=admin)
        ).json()
        only_failed = (await gateway.get(log, params={"status": "failed"}, headers=admin)).json()
        unknown = await gateway.get(log, params={"status": "lost"}, headers=admin)
        await browser_sign_in(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)
        newest = await gateway.get(f"/admin/webhooks/{hook.id}")
        older = await gateway.get(f"/admin/webhooks/{hook.id}?before={ids[49]}")
        given_up = await gateway.get(f"/admin/webhooks/{hook.id}?state=failed")

    assert [d["id"] for d in first + second] == ids[:50]
    assert [d["id"] for d in only_failed] == failed and len(failed) == 6
    assert unknown.status_code == 422 and "status" in unknown.text
    assert newest.text.count(f"{CompanyCreated.type}<br>") == 50
    assert f"?before={ids[49]}" in newest.text
    assert older.text.count(f"{CompanyCreated.type}<br>") == 10 and "?before=" not in older.text
    assert given_up.text.count(f"{CompanyCreated.type}<br>") == 6


async def test_an_attempt_without_an_answer_says_why_in_words_with_the_detail_beside(
    hooked_gateway: Gateway,
) -> None:
    async with hooked_gateway() as (gateway, _):
        sessions = gateway._transport.app.state.sessions  # type: ignore[attr-defined]
        now = datetime.now(UTC)
        errors = (
            "ConnectError: [Errno 111] Connection refused",
            "ReadTimeout: ",
            "RemoteProtocolError: Server disconnected <without> a response",
            "SomethingElse: odd",
        )
        async with unit_of_work(sessions) as session:
            hook = await a_subscription(session)
            delivery = WebhookDelivery(
                subscription_id=hook.id,
                event_id=uuid4(),
                event_type=CompanyCreated.type,
                aggregate="company 1",
                body="{}",
                status="pending",
                attempts=len(errors) + 1,
                next_attempt_at=now,
                created_at=now,
            )
            session.add(delivery)
            await session.flush()
            session.add_all(
                WebhookAttempt(delivery_id=delivery.id, at=now, error=error, milliseconds=5)
                for error in errors
            )
            session.add(
                WebhookAttempt(delivery_id=delivery.id, at=now, status_code=503, milliseconds=5)
            )
        await browser_sign_in(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)
        page = (await gateway.get(f"/admin/webhooks/{hook.id}")).text

    # The administrator reads Polish here.
    assert "Nie udało się połączyć z odbiorcą <code>ConnectError: [Errno 111]" in page
    assert "Odbiorca nie odpowiedział na czas <code>ReadTimeout: </code>" in page
    assert "Połączenie z odbiorcą zostało przerwane <code>RemoteProtocolError: " in page
    assert "&lt;without&gt;" in page and "<without>" not in page
    assert "Doręczenie nie powiodło się <code>SomethingElse: odd</code>" in page
    assert "HTTP 503" in page


async def test_a_subscription_names_the_event_types_and_filter_fields_it_does_not_know(
    hooked_gateway: Gateway,
) -> None:
    receiver = "https://erp.example.pl/crm-events"
    async with hooked_gateway() as (gateway, admin):
        types = await gateway.post(
            "/api/webhooks",
            json={"url": receiver, "event_types": [CompanyCreated.type, "crm.deal.wun.v1"]},
            headers=admin,
        )
        fields = await gateway.post(
            "/api/webhooks",
            json={
                "url": receiver,
                "event_types": [CompanyCreated.type],
                "filters": {"stagekind": "won", "name": "Dobra"},
            },
            headers=admin,
        )

    assert types.status_code == fields.status_code == 422
    [wrong_type] = types.json()["detail"]
    assert wrong_type["loc"] == ["body", "event_types"]
    assert wrong_type["ctx"] == {"unknown": "crm.deal.wun.v1"}
    [wrong_field] = fields.json()["detail"]
    assert wrong_field["loc"] == ["body", "filters"] and wrong_field["ctx"] == {
        "unknown": "stagekind"
    }
