"""Companies flow from deals to planning over a real Kafka broker: once each, whatever happens."""

import asyncio
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from cloudevents.core.bindings.kafka import to_binary_event
from cloudevents.core.formats.json import JSONFormat
from prometheus_client import REGISTRY

from shared.contracts.deals import COMPANY_TOPIC, CompanyCreated
from shared.events import new_event
from shared.testing.kafka import KafkaBroker
from shared.testing.waiting import eventually
from tests.flows.conftest import Started, client_ids

pytestmark = pytest.mark.kafka


def counter(name: str, type_: str = CompanyCreated.type) -> float:
    return REGISTRY.get_sample_value(name, {"consumer": "planning", "type": type_}) or 0.0


async def produce(
    kafka: KafkaBroker, *values: bytes, headers: list[tuple[str, bytes]] | None = None
) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap_servers, **kafka.client_options(), acks="all"
    )
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(COMPANY_TOPIC, value, key=b"test", headers=headers)
    finally:
        await producer.stop()


def company_event(name: str) -> tuple[str, bytes]:
    company_id = uuid4()
    event = new_event(CompanyCreated(company_id=company_id, name=name), subject=company_id)
    return str(company_id), event.model_dump_json().encode()


async def test_a_company_created_in_deals_reaches_planning(deals_and_planning: Started) -> None:
    async with deals_and_planning() as (deals, planning):
        created = await deals.post("/api/companies", json={"name": "Kolej Mazowiecka"})
        assert created.status_code == 201

        await eventually(lambda: _has(planning, created.json()["id"]), timeout=30)


async def test_a_duplicate_delivery_changes_the_replica_once(
    deals_and_planning: Started, kafka: KafkaBroker
) -> None:
    async with deals_and_planning() as (_, planning):
        company_id, body = company_event("Podwójna Dostawa")
        handled, duplicates = (
            counter("crm_events_handled_total"),
            counter("crm_events_duplicate_total"),
        )

        await produce(kafka, body, body)

        await eventually(
            lambda: counter("crm_events_duplicate_total") == duplicates + 1, timeout=30
        )
        assert counter("crm_events_handled_total") == handled + 1
        assert company_id in await client_ids(planning)


async def test_a_malformed_message_goes_to_the_dlq_and_the_next_event_is_consumed(
    deals_and_planning: Started, kafka: KafkaBroker
) -> None:
    marker = f"not json {uuid4()}".encode()
    async with deals_and_planning() as (_, planning):
        company_id, valid = company_event("Po Błędzie")

        await produce(
            kafka, marker, valid, headers=[("content-type", b"application/cloudevents+json")]
        )

        await eventually(lambda: _has(planning, company_id), timeout=30)
    dead = await _find(kafka, COMPANY_TOPIC + ".dlq", marker)
    headers = {key: value.decode() for key, value in dead.headers}
    assert headers["content-type"] == "application/cloudevents+json"
    assert headers["x-error"].startswith("not JSON")
    assert headers["x-original-topic"] == COMPANY_TOPIC
    assert headers["x-consumer"] == "planning"


async def test_a_binary_mode_event_reaches_planning(
    deals_and_planning: Started, kafka: KafkaBroker
) -> None:
    """Another system's producer may put the attributes in `ce_*` headers, the data alone in
    the value (the CloudEvents Kafka binding's binary mode)."""
    company_id, structured = company_event("Tryb Binarny")
    message = to_binary_event(JSONFormat().read(None, structured))
    async with deals_and_planning() as (_, planning):
        await produce(kafka, message.value, headers=list(message.headers.items()))

        await eventually(lambda: _has(planning, company_id), timeout=30)


async def _has(planning: Any, company_id: str) -> bool:
    return company_id in await client_ids(planning)


async def _find(kafka: KafkaBroker, topic: str, value: bytes) -> Any:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka.bootstrap_servers,
        **kafka.client_options(),
        group_id=f"test-{uuid4()}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        async with asyncio.timeout(30):
            async for record in consumer:
                if record.value == value:
                    return record
    finally:
        await consumer.stop()
    raise AssertionError(f"{value!r} not found on {topic}")


async def test_a_namespaced_crm_keeps_its_messages_and_commits_what_it_handled(
    deals_and_planning: Started, kafka: KafkaBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    namespace = f"t{uuid4().hex[:8]}"
    monkeypatch.setenv("KAFKA_NAMESPACE", namespace)
    topic = f"{namespace}.{COMPANY_TOPIC}"
    async with deals_and_planning() as (deals, planning):
        made = [
            (await deals.post("/api/companies", json={"name": f"Spółka {n}"})).json()["id"]
            for n in range(3)
        ]
        await eventually(lambda: _all_in(planning, made), timeout=30)
    # Stopped: what planning handled is committed for its group, in its own topic only.
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers, **kafka.client_options())
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(f"{namespace}.planning")
        topics = await admin.list_topics()
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, **kafka.client_options())
    await consumer.start()
    try:
        ends = await consumer.end_offsets(list(committed))
    finally:
        await consumer.stop()
    assert {tp.topic for tp, _ in ends.items() if _ > 0} == {topic}
    assert all(committed[tp].offset == end for tp, end in ends.items() if tp.topic == topic)
    assert topic in topics and f"{topic}.dlq" in topics


async def _all_in(planning: Any, ids: list[str]) -> bool:
    return set(ids) <= await client_ids(planning)
