"""A deal won in deals becomes actual revenue in planning over real Kafka: counted once, in the
month it was won, and no longer once it is reopened."""

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from prometheus_client import REGISTRY

from services.planning.usecases.locks import COMPANY_TIME_ZONE
from shared.contracts.deals import DEAL_TOPIC
from shared.contracts.gateway import TeamChanged, UserCreated
from shared.events import new_event
from shared.testing.apps import ADMIN
from shared.testing.kafka import KafkaBroker
from shared.testing.waiting import eventually
from tests.flows.conftest import Started

pytestmark = pytest.mark.kafka


def month_of(first: date) -> dict[str, str]:
    """The summary's query for the company's figures in the month starting on `first`."""
    return {"period": "month", "start_date": first.isoformat(), "scope": "company"}


def this_month() -> date:
    return datetime.now(COMPANY_TIME_ZONE).date().replace(day=1)


async def test_a_won_deal_is_actual_revenue_once_however_often_delivered(
    deals_and_planning: Started, kafka: KafkaBroker
) -> None:
    won_in = this_month()
    async with deals_and_planning() as (deals, planning):
        await announce_the_owner(kafka)
        company = (await deals.post("/api/companies", json={"name": "Wygrana S.A."})).json()
        [pipeline] = (await deals.get("/api/pipelines")).json()
        won = next(s for s in pipeline["stages"] if s["kind"] == "won")
        deal = (
            await deals.post("/api/deals", json={"title": "Big one", "company_id": company["id"]})
        ).json()
        moved = await deals.patch(
            f"/api/deals/{deal['id']}",
            json={"stage_id": won["id"], "amount": "12345.60", "expected_close_date": "2099-12-15"},
        )
        assert moved.status_code == 200, moved.text

        async def actual() -> Any:
            answer = (await planning.get("/api/plans/summary", params=month_of(won_in))).json()
            return answer.get("actual") == "12345.60" and answer

        await eventually(actual, timeout=30, interval=0.2)
        duplicates = _duplicates()
        await redeliver_deal_events(kafka, deal["id"])
        await eventually(lambda: _duplicates() > duplicates, timeout=30, interval=0.2)
        again = (await planning.get("/api/plans/summary", params=month_of(won_in))).json()
        assert again["actual"] == "12345.60"


async def announce_the_owner(kafka: KafkaBroker) -> None:
    """Planning learns groups and people from the gateway; here we publish them ourselves."""
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


def months_later(first: date, months: int) -> date:
    index = first.month - 1 + months
    return first.replace(year=first.year + index // 12, month=index % 12 + 1, day=1)


async def test_a_deal_counts_in_the_month_it_is_won_not_its_close_month_until_reopened(
    deals_and_planning: Started, kafka: KafkaBroker
) -> None:
    won_in = this_month()
    close_month = months_later(won_in, 3)
    async with deals_and_planning() as (deals, planning):
        await announce_the_owner(kafka)
        company = (await deals.post("/api/companies", json={"name": "Na Zapas S.A."})).json()
        [pipeline] = (await deals.get("/api/pipelines")).json()
        first = pipeline["stages"][0]
        won = next(s for s in pipeline["stages"] if s["kind"] == "won")
        body = {
            "title": "Early win",
            "company_id": company["id"],
            "amount": "5000.00",
            "expected_close_date": close_month.replace(day=28).isoformat(),
        }
        deal = (await deals.post("/api/deals", json=body)).json()
        moved = await deals.patch(f"/api/deals/{deal['id']}", json={"stage_id": won["id"]})
        assert moved.status_code == 200, moved.text

        async def actuals(expected: tuple[str, str]) -> Any:
            found = []
            for month in (won_in, close_month):
                answer = await planning.get("/api/plans/summary", params=month_of(month))
                found.append(answer.json())
            return tuple(f["actual"] for f in found) == expected and found

        await eventually(lambda: actuals(("5000.00", "0.00")), timeout=30, interval=0.2)
        reopened = await deals.patch(f"/api/deals/{deal['id']}", json={"stage_id": first["id"]})
        assert reopened.status_code == 200, reopened.text
        await eventually(lambda: actuals(("0.00", "0.00")), timeout=30, interval=0.2)


def _envelope(data: Any, subject: object) -> bytes:
    return new_event(data, subject=subject).model_dump_json().encode()


async def publish(kafka: KafkaBroker, topic: str, *bodies: bytes) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap_servers, **kafka.client_options(), acks="all"
    )
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
        **kafka.client_options(),
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
