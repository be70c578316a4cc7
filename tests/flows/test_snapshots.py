"""Bootstrap from the snapshot topics: a consumer joining after 1,000 companies and 1,000 deals
exist reads their current state, with no REST crawl, then follows live changes."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import text
from typer.testing import CliRunner

from services import cli
from services.deals.app import create_app as create_deals
from services.deals.settings import DealsSettings
from shared.testing.apps import TEST_SECRET, identity_headers, running
from shared.testing.kafka import KafkaBroker
from shared.testing.waiting import eventually

pytestmark = pytest.mark.kafka

COMPANIES = DEALS = 1000


class Bootstrapped:
    """A consumer of the snapshot topics keeping the latest state of each record by its key."""

    def __init__(self, kafka: KafkaBroker, topics: list[str]) -> None:
        # No group: every partition of the topics, from the beginning.
        self.consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=kafka.bootstrap_servers,
            **kafka.client_options(),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        self.state: dict[str, dict[str, Any]] = {topic: {} for topic in topics}

    async def start(self) -> None:
        await self.consumer.start()
        await eventually(self.consumer.assignment, timeout=10)

    async def catch_up(self) -> None:
        """Read until the end each partition has now."""
        ends = await self.consumer.end_offsets(list(self.consumer.assignment()))
        while await self._behind(ends):
            batches = await self.consumer.getmany(timeout_ms=500, max_records=2000)
            for partition, records in batches.items():
                held = self.state[partition.topic]
                for record in records:
                    key = record.key.decode()
                    if record.value is None:
                        held.pop(key, None)  # a tombstone: archived
                    else:
                        held[key] = record.value

    async def _behind(self, ends: dict[TopicPartition, int]) -> bool:
        for partition, end in ends.items():
            if await self.consumer.position(partition) < end:
                return True
        return False

    async def stop(self) -> None:
        await self.consumer.stop()


@pytest.fixture
async def deals_on_kafka(
    service_database: Any, settings_for: Any, kafka: KafkaBroker, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[httpx.AsyncClient, str, str]]:
    monkeypatch.setenv("CRM_ADMIN_LOCALE", "en")
    namespace = f"t{uuid4().hex[:8]}"
    url = await service_database("deals")
    settings = DealsSettings(
        **settings_for(url, kafka.bootstrap_servers), kafka_namespace=namespace
    )
    async with running(create_deals(settings)) as deals:
        deals.headers.update(identity_headers())
        yield deals, namespace, url


async def in_batches(count: int, make: Any, size: int = 25) -> list[Any]:
    made: list[Any] = []
    for start in range(0, count, size):
        made += await asyncio.gather(*(make(n) for n in range(start, min(count, start + size))))
    return made


async def scalar(deals: httpx.AsyncClient, sql: str) -> Any:
    async with deals._transport.app.state.sessions() as session:  # type: ignore[attr-defined]
        return await session.scalar(text(sql))


async def test_a_late_consumer_reads_the_current_state_then_follows_changes(
    deals_on_kafka: tuple[httpx.AsyncClient, str, str], kafka: KafkaBroker
) -> None:
    deals, namespace, database_url = deals_on_kafka
    companies = await in_batches(
        COMPANIES,
        lambda n: deals.post("/api/companies", json={"name": f"Firma {n:04}"}),
    )
    company_ids = [answer.json()["id"] for answer in companies]
    made = await in_batches(
        DEALS,
        lambda n: deals.post(
            "/api/deals", json={"title": f"Umowa {n:04}", "company_id": company_ids[n]}
        ),
    )
    deal_ids = [answer.json()["id"] for answer in made]
    await deals.patch(f"/api/companies/{company_ids[0]}", json={"name": "Firma Zmieniona"})
    for gone in deal_ids[:3]:
        assert (await deals.post(f"/api/deals/{gone}/archive")).status_code == 200
    await eventually(lambda: _all_sent(deals), timeout=120)

    topics = [f"{namespace}.crm.deals.company.snapshot", f"{namespace}.crm.deals.deal.snapshot"]
    late = Bootstrapped(kafka, topics)
    await late.start()
    try:
        await late.catch_up()
        companies_held, deals_held = (late.state[topic] for topic in topics)
        assert len(companies_held) == await scalar(
            deals, "SELECT count(*) FROM company WHERE archived_at IS NULL"
        )
        assert len(deals_held) == await scalar(
            deals, "SELECT count(*) FROM deal WHERE archived_at IS NULL"
        )
        assert len(deals_held) == DEALS - 3
        assert b'"name":"Firma Zmieniona"' in companies_held[company_ids[0]]

        # Live: a new company, a deal archived.
        new = (await deals.post("/api/companies", json={"name": "Po Starcie"})).json()["id"]
        await deals.post(f"/api/deals/{deal_ids[3]}/archive")
        await eventually(lambda: _all_sent(deals), timeout=30)
        await late.catch_up()

        assert new in companies_held and deal_ids[3] not in deals_held
        assert len(companies_held) == COMPANIES + 1
        assert len(deals_held) == await scalar(
            deals, "SELECT count(*) FROM deal WHERE archived_at IS NULL"
        )
    finally:
        await late.stop()

    # A repair: the companies changed since the last one's change, published again.
    since = await scalar(deals, "SELECT max(updated_at) FROM company")
    republished = await asyncio.to_thread(
        CliRunner().invoke,
        cli.app,
        ["events", "republish", "deals", "company", "--since", since.isoformat()],
        env={
            "DEALS_DATABASE_URL": database_url,
            "CRM_IDENTITY_SECRET": TEST_SECRET,
            "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
            "KAFKA_NAMESPACE": namespace,
        },
    )
    assert republished.exit_code == 0, republished.output
    assert republished.stdout == "deals company: 1 snapshots published\n"


async def _all_sent(deals: httpx.AsyncClient) -> bool:
    return bool(await scalar(deals, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0)
