"""A Kafka outage delays events and loses none: the outbox holds them until the broker is back."""

import asyncio
from typing import Any

import pytest
from sqlalchemy import text

from shared.testing.kafka import KafkaBroker
from shared.testing.waiting import eventually
from tests.flows.conftest import Started, client_ids

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

COMPANIES = 20


async def test_companies_created_while_kafka_is_down_all_arrive_exactly_once(
    deals_and_planning: Started, kafka: KafkaBroker
) -> None:
    if not kafka.can_restart:
        pytest.skip("this Kafka is not ours to stop (KAFKA_BOOTSTRAP_SERVERS or a container)")
    async with deals_and_planning() as (deals, planning):
        before = await deals.post("/api/companies", json={"name": "Before the outage"})
        await eventually(lambda: _listed(planning, {before.json()["id"]}), timeout=30)

        await asyncio.to_thread(kafka.stop)
        try:
            answers = [
                await deals.post("/api/companies", json={"name": f"During outage {n:02}"})
                for n in range(COMPANIES)
            ]
            assert [answer.status_code for answer in answers] == [201] * COMPANIES
            assert await _pending(deals) == COMPANIES
        finally:
            await asyncio.to_thread(kafka.start)

        created = {answer.json()["id"] for answer in answers}
        await eventually(lambda: _listed(planning, created), timeout=90, interval=0.5)
        assert await _pending(deals) == 0
        assert await _applied(planning) == COMPANIES + 1  # inbox: each event applied once
        assert len(await client_ids(planning)) == COMPANIES + 1


async def _listed(planning: Any, ids: set[str]) -> bool:
    return ids <= await client_ids(planning)


async def _scalar(client: Any, query: str) -> int:
    sessions = client._transport.app.state.sessions
    async with sessions() as session:
        return int(await session.scalar(text(query)))


async def _pending(deals: Any) -> int:
    return await _scalar(deals, "SELECT count(*) FROM outbox WHERE sent_at IS NULL")


async def _applied(planning: Any) -> int:
    return await _scalar(planning, "SELECT count(*) FROM inbox WHERE consumer = 'planning'")
