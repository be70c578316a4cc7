"""Distributed mode: each service its own `crm serve` process and database, events over Kafka."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, TEST_SECRET, bearer, identity_headers
from shared.testing.kafka import KafkaBroker
from shared.testing.postgres import fresh_database
from shared.testing.processes import crm_processes, free_port
from shared.testing.waiting import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SERVED = ("deals", "planning", "calendar", "gateway")


@pytest.fixture(scope="module")
async def served(
    kafka: KafkaBroker, pg_server: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, str]]:
    """Deals, planning, calendar and a gateway in front of them, each a `crm serve` process on
    an empty database of its own (they migrate as they start), started together; their URLs."""
    urls = {name: f"http://127.0.0.1:{free_port()}" for name in SERVED}
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "CRM_IDENTITY_SECRET": TEST_SECRET,
        "CALENDAR_SCHEDULER_INTERVAL": "0.5",
        "CRM_ADMIN_EMAIL": ADMIN_EMAIL,
        "CRM_ADMIN_PASSWORD": ADMIN_PASSWORD,
        **{f"GATEWAY_{name.upper()}_URL": urls[name] for name in SERVED if name != "gateway"},
    }
    for name in SERVED:
        env[f"{name.upper()}_DATABASE_URL"] = await fresh_database(pg_server, name)
    commands = {
        name: ["serve", name, "--host", "127.0.0.1", "--port", urls[name].rsplit(":", 1)[1]]
        for name in SERVED
    }
    with crm_processes(commands, env=env, logs=tmp_path_factory.mktemp("served"), urls=urls):
        yield urls


async def test_a_company_created_through_the_gateway_reaches_planning_across_processes(
    served: dict[str, str],
) -> None:
    async with httpx.AsyncClient(base_url=served["gateway"]) as gateway:
        gateway.headers.update(await bearer(gateway, ADMIN_EMAIL, ADMIN_PASSWORD))
        created = await gateway.post("/api/companies", json={"name": "Rozproszona sp. j."})
        assert created.status_code == 201, created.text
        assert (await gateway.get(f"{served['deals']}/api/companies")).status_code == 401

        async def listed() -> bool:
            clients = (await gateway.get("/api/plans/clients")).json()["items"]
            return any(client["id"] == created.json()["id"] for client in clients)

        await eventually(listed, timeout=30, interval=0.1)
        assert (await gateway.get("/readyz")).json() == {"database": "ok"}
        assert (await gateway.get("/healthz")).json() == {"status": "ok", "bus": "ok"}


async def test_an_outcome_report_reaches_the_deal_timeline_across_processes(
    served: dict[str, str],
) -> None:
    headers = identity_headers()
    async with (
        httpx.AsyncClient(base_url=served["deals"], headers=headers) as deals,
        httpx.AsyncClient(base_url=served["calendar"], headers=headers) as calendar,
    ):
        company = (await deals.post("/api/companies", json={"name": "Port Gdynia"})).json()
        deal = (
            await deals.post("/api/deals", json={"title": "Suwnica", "company_id": company["id"]})
        ).json()
        start = datetime.now(UTC) - timedelta(hours=1)

        async def planned() -> httpx.Response | None:
            """The meeting, once the calendar has heard of the deal (a link to a deal it has
            not heard of is refused as if there were none)."""
            answer = await calendar.post(
                "/api/activities",
                json={
                    "kind": "meeting",
                    "title": "Prezentacja suwnicy",
                    "start": start.isoformat(),
                    "end": (start + timedelta(minutes=45)).isoformat(),
                    "deal_id": deal["id"],
                },
            )
            return None if answer.status_code == 422 and "deal_id" in answer.text else answer

        activity = await eventually(planned, timeout=30, interval=0.1)
        assert activity is not None
        assert activity.status_code == 201, activity.text
        url = f"/api/activities/{activity.json()['id']}"

        refused = await calendar.patch(url, json={"status": "done"})
        assert refused.status_code == 422
        no_result = await calendar.post(f"{url}/outcome", json={"note": "Bez wyniku"})
        assert no_result.status_code == 422

        reported = await calendar.post(
            f"{url}/outcome",
            json={"result": "completed", "note": "Klient chce ofertę na dwie suwnice."},
        )
        assert reported.status_code == 200, reported.text

        async def on_the_timeline() -> bool:
            entries = (await deals.get(f"/api/deals/{deal['id']}/timeline")).json()
            return any(
                entry["kind"] == "outcome"
                and entry["data"]["note"] == "Klient chce ofertę na dwie suwnice."
                for entry in entries
            )

        await eventually(on_the_timeline, timeout=30, interval=0.1)
