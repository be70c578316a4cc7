"""Crashes and stops of a `crm serve` process: an import never left running, a stop that does not
wait for a broker that is gone, and no event lost either way."""

import asyncio
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from shared.postgres import asyncpg_dsn
from shared.testing.apps import TEST_SECRET, identity_headers
from shared.testing.kafka import KafkaBroker
from shared.testing.postgres import fresh_database
from shared.testing.processes import crm_process, free_port
from shared.testing.waiting import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

ROWS = 12_000


@contextmanager
def deals_process(
    database_url: str, kafka: KafkaBroker, log: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`crm serve deals` on its database and the broker; its process and address."""
    url = f"http://127.0.0.1:{free_port()}"
    env = {
        "DEALS_DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "CRM_IDENTITY_SECRET": TEST_SECRET,
    }
    args = ["serve", "deals", "--host", "127.0.0.1", "--port", url.rsplit(":", 1)[1]]
    with crm_process(args, env=env, log=log, url=url) as process:
        yield process, url


async def scalar(database_url: str, query: str) -> Any:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return await connection.fetchval(query)
    finally:
        await connection.close()


def stopped_within(process: subprocess.Popen[bytes], how: signal.Signals) -> float:
    """Send `how`; the seconds until the process is gone."""
    asked = time.monotonic()
    process.send_signal(how)
    process.wait(60)
    return time.monotonic() - asked


async def test_an_import_stopped_or_killed_midway_is_interrupted_and_resumed_without_duplicates(
    kafka: KafkaBroker, pg_server: str, tmp_path: Path
) -> None:
    database = await fresh_database(pg_server, "deals_crash")
    file = "name\n" + "".join(f"Firma {n:05}\n" for n in range(ROWS))
    headers = identity_headers()

    async def midway(client: httpx.AsyncClient, job_id: str, at_least: int) -> None:
        async def far_enough() -> bool:
            job = (await client.get(f"/api/imports/{job_id}")).json()
            assert job["status"] == "running", job
            return bool(job["processed"] >= at_least)

        await eventually(far_enough, timeout=60, interval=0.02)

    with deals_process(database, kafka, tmp_path / "first.log") as (process, url):
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
            files = {"file": ("firmy.csv", file.encode(), "text/csv")}
            started = await client.post(
                "/api/imports", data={"record_type": "company"}, files=files
            )
            job_id = started.json()["id"]
            await midway(client, job_id, 2000)
        assert stopped_within(process, signal.SIGTERM) < 10

    with deals_process(database, kafka, tmp_path / "second.log") as (process, url):
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
            stopped = (await client.get(f"/api/imports/{job_id}")).json()
            resumed = await client.post(f"/api/imports/{job_id}/resume")
            assert resumed.status_code == 202, resumed.text
            await midway(client, job_id, stopped["processed"] + 2000)
        process.kill()  # kill -9: nobody is told
        process.wait(10)
    left = await scalar(database, f"SELECT status FROM import_job WHERE id = '{job_id}'")

    with deals_process(database, kafka, tmp_path / "third.log") as (process, url):
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as client:
            killed = (await client.get(f"/api/imports/{job_id}")).json()
            written = await scalar(database, "SELECT count(*) FROM company")
            done = await client.post(f"/api/imports/{job_id}/resume", params={"wait": "true"})
    names = await scalar(database, "SELECT count(DISTINCT name) = count(*) FROM company")

    assert (stopped["status"], stopped["error"]) == (
        "interrupted",
        "the import stopped: the service was stopped while it ran",
    )
    assert left == "running"  # as the killed process left it
    assert (killed["status"], killed["error"]) == (
        "interrupted",
        "the import stopped: the service running it ended unexpectedly",
    )
    assert killed["processed"] == killed["imported"] == written  # true counts of the committed
    assert 0 < stopped["processed"] < killed["processed"] < ROWS
    assert done.status_code == 201, done.text
    assert (done.json()["status"], done.json()["imported"]) == ("done", ROWS)
    assert await scalar(database, "SELECT count(*) FROM company") == ROWS and names


async def test_a_service_stops_within_10_s_on_sigterm_while_kafka_is_down_keeping_its_events(
    kafka: KafkaBroker, pg_server: str, tmp_path: Path
) -> None:
    if not kafka.can_restart:
        pytest.skip("this Kafka is not ours to stop (KAFKA_BOOTSTRAP_SERVERS or a container)")
    database = await fresh_database(pg_server, "deals_stop")
    with deals_process(database, kafka, tmp_path / "deals.log") as (process, url):
        async with httpx.AsyncClient(base_url=url, headers=identity_headers()) as client:
            await asyncio.to_thread(kafka.stop)
            try:
                for n in range(3):
                    created = await client.post("/api/companies", json={"name": f"Firma {n}"})
                    assert created.status_code == 201, created.text

                async def bus_down() -> bool:
                    return bool((await client.get("/healthz")).json()["bus"] == "down")

                await eventually(bus_down, timeout=30, interval=0.2)
                ready = await client.get("/readyz")
                metrics = (await client.get("/metrics")).text
                took = await asyncio.to_thread(stopped_within, process, signal.SIGTERM)
            finally:
                await asyncio.to_thread(kafka.start)

    assert (ready.status_code, ready.json()) == (200, {"database": "ok"})
    assert 'crm_bus_up{service="deals"} 0.0' in metrics
    print(f"stopped {took:.1f} s after SIGTERM")
    assert took < 10, f"stopped after {took:.1f} s"
    pending = (
        "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND type = 'crm.company.created.v1'"
    )
    assert await scalar(database, pending) == 3  # kept for the next start
