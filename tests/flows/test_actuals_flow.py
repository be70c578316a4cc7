"""A deal won in deals becomes actual revenue in planning over real Kafka, counted once."""

from typing import Any
from uuid import UUID, uuid4

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from prometheus_client import REGISTRY

from shared.contracts.deals import DEAL_TOPIC
from shared.contracts.gateway import TeamChanged, UserCreated
from shared.events import new_event
from shared.testing.apps import ADMIN
from shared.testing.kafka import KafkaBroker
from shared.testing.waiting import eventually
from tests.flows.conftest import Started

pytestmark = pytest.mark.kafka

DECEMBER = {"period": "month", "start_date": "2026-12-01", "scope": "company"}


async def test_a_won_deal_is_actual_revenue_once_however_often_delivered(
    deals_and_planning: Started, kafka: KafkaBroker
) -> None:
    async with deals_and_planning() as (deals, planning):
        # planning learns groups and people from the gateway; here we publish them ourselves.
        root = uuid4()
        team = TeamChanged(team_id=root, name="Firma", parent_id=None, head_id=None)
        owner = UserCreated(
            user_id=UUID(ADMIN.user_id),
            email="a@contentum.pl",
            name="Admin",
            role="admin",
            team_id=root,
            department_id=None,
            locale="pl",
            time_zone="Europe/Warsaw",
            active=True,
        )
        await publish(kafka, team.topic, _envelope(team, root))
        await publish(kafka, owner.topic, _envelope(owner, owner.user_id))
        company = (await deals.post("/api/companies", json={"name": "Wygrana S.A."})).json()
        [pipeline] = (await deals.get("/api/pipelines")).json()
        won = next(s for s in pipeline["stages"] if s["kind"] == "won")
        deal = (
            await deals.post("/api/deals", json={"title": "Big one", "company_id": company["id"]})
        ).json()
        moved = await deals.patch(
            f"/api/deals/{deal['id']}",
            json={"stage_id": won["id"], "amount": "12345.60", "expected_close_date": "2026-12-15"},
        )
        assert moved.status_code == 200, moved.text

        async def actual() -> Any:
            answer = (await planning.get("/api/plans/summary", params=DECEMBER)).json()
            return answer.get("actual") == "12345.60" and answer

        await eventually(actual, timeout=30, interval=0.2)
        duplicates = _duplicates()
        await redeliver_deal_events(kafka, deal["id"])
        await eventually(lambda: _duplicates() > duplicates, timeout=30, interval=0.2)
        again = (await planning.get("/api/plans/summary", params=DECEMBER)).json()
        assert again["actual"] == "12345.60"


def _envelope(data: Any, subject: object) -> bytes:
    return new_event(data, subject=subject).model_dump_json().encode()


async def publish(kafka: KafkaBroker, topic: str, *bodies: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for body in bodies:
            await producer.send_and_wait(topic, body, key=b"test")
    finally:
        await producer.stop()


async def redeliver_deal_events(kafka: KafkaBroker, deal_id: str) -> None:
    """Read this deal's events back from the topic and send every one of them again."""
    consumer = AIOKafkaConsumer(
        DEAL_TOPIC,
        bootstrap_servers=kafka.bootstrap_servers,
        group_id=f"replay-{deal_id}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    bodies = []
    try:
        batches = await consumer.getmany(timeout_ms=3000)
        bodies = [
            r.value for records in batches.values() for r in records if r.key == deal_id.encode()
        ]
    finally:
        await consumer.stop()
    assert bodies, "the deal's events are on the topic"
    await publish(kafka, DEAL_TOPIC, *bodies)


def _duplicates() -> float:
    """Won-deal events planning dropped as already applied."""
    return (
        REGISTRY.get_sample_value(
            "crm_events_duplicate_total", {"consumer": "planning", "type": "crm.deal.won.v1"}
        )
        or 0
    )
