"""An outcome reported in the calendar lands on the deal's timeline: separate processes, real Kafka."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.testing.apps import TEST_SECRET, identity_headers
from shared.testing.kafka import KafkaBroker
from shared.testing.processes import crm_process, free_port
from shared.testing.waiting import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def test_an_outcome_report_reaches_the_deal_timeline_across_processes(
    kafka: KafkaBroker, new_database: Any, tmp_path: Path
) -> None:
    ports = {name: free_port() for name in ("deals", "calendar")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "CRM_IDENTITY_SECRET": TEST_SECRET,
        "DEALS_DATABASE_URL": await new_database("deals"),
        "CALENDAR_DATABASE_URL": await new_database("calendar"),
        "CALENDAR_SCHEDULER_INTERVAL": "0.5",
    }

    def serve(name: str) -> Any:
        args = ["serve", name, "--host", "127.0.0.1", "--port", str(ports[name])]
        return crm_process(args, env=env, log=tmp_path / f"{name}.log", url=urls[name])

    with serve("deals"), serve("calendar"):
        headers = identity_headers()
        async with (
            httpx.AsyncClient(base_url=urls["deals"], headers=headers) as deals,
            httpx.AsyncClient(base_url=urls["calendar"], headers=headers) as calendar,
        ):
            company = (await deals.post("/api/companies", json={"name": "Port Gdynia"})).json()
            deal = (
                await deals.post(
                    "/api/deals", json={"title": "Suwnica", "company_id": company["id"]}
                )
            ).json()
            start = datetime.now(UTC) - timedelta(hours=1)
            activity = await calendar.post(
                "/api/activities",
                json={
                    "kind": "meeting",
                    "title": "Prezentacja suwnicy",
                    "start": start.isoformat(),
                    "end": (start + timedelta(minutes=45)).isoformat(),
                    "deal_id": deal["id"],
                },
            )
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

            await eventually(on_the_timeline, timeout=30, interval=0.3)
