"""Distributed mode: each service its own `crm serve` process and database, events over Kafka."""

from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, TEST_SECRET, bearer
from shared.testing.kafka import KafkaBroker
from shared.testing.processes import crm_process, free_port
from shared.testing.waiting import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def test_a_company_created_through_the_gateway_reaches_planning_across_processes(
    kafka: KafkaBroker, new_database: Any, tmp_path: Path
) -> None:
    ports = {name: free_port() for name in ("deals", "planning", "gateway")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "CRM_IDENTITY_SECRET": TEST_SECRET,
        "DEALS_DATABASE_URL": await new_database("deals"),
        "PLANNING_DATABASE_URL": await new_database("planning"),
        "GATEWAY_DATABASE_URL": await new_database("gateway"),
        "GATEWAY_DEALS_URL": urls["deals"],
        "GATEWAY_PLANNING_URL": urls["planning"],
        "CRM_ADMIN_EMAIL": ADMIN_EMAIL,
        "CRM_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }

    def serve(name: str) -> Any:
        args = ["serve", name, "--host", "127.0.0.1", "--port", str(ports[name])]
        return crm_process(args, env=env, log=tmp_path / f"{name}.log", url=urls[name])

    with serve("deals"), serve("planning"), serve("gateway"):
        async with httpx.AsyncClient(base_url=urls["gateway"]) as gateway:
            gateway.headers.update(await bearer(gateway, ADMIN_EMAIL, ADMIN_PASSWORD))
            created = await gateway.post("/api/companies", json={"name": "Rozproszona sp. j."})
            assert created.status_code == 201, created.text
            assert (await gateway.get(f"{urls['deals']}/api/companies")).status_code == 401

            async def listed() -> bool:
                clients = (await gateway.get("/api/plans/clients")).json()["items"]
                return any(client["id"] == created.json()["id"] for client in clients)

            await eventually(listed, timeout=30, interval=0.2)
            assert (await gateway.get("/readyz")).json() == {"database": "ok", "bus": "ok"}
