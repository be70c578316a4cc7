"""The Kafka test broker works, and its data survives a stop/start (outage tests rely on it)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.testing.kafka import KafkaBroker, KafkaUnavailable, start_kafka

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _broker_or_skip() -> KafkaBroker:
    try:
        return start_kafka()
    except KafkaUnavailable as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Kafka is required in CI but unavailable: {exc}")
        pytest.skip(f"Kafka unavailable: {exc}")


async def _produce(servers: str, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=b"k")
    finally:
        await producer.stop()


async def _read_from_start(
    servers: str, topic: str, want: int, timeout_s: float = 30
) -> list[bytes]:
    """Read the topic from the beginning with a brand-new consumer group."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=servers,
        group_id=f"test-{uuid.uuid4()}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen: list[bytes] = []
    try:
        deadline = time.monotonic() + timeout_s
        while len(seen) < want and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=1000)
            seen += [msg.value for msgs in batches.values() for msg in msgs if msg.value]
    finally:
        await consumer.stop()
    return seen


@pytest.mark.timeout(1200)  # the very first run downloads the broker jars through Maven
def test_message_survives_broker_restart() -> None:
    broker = _broker_or_skip()
    try:
        topic = f"runner-{uuid.uuid4().hex[:8]}"
        before = f"before-{uuid.uuid4()}".encode()
        asyncio.run(_produce(broker.bootstrap_servers, topic, before))
        assert asyncio.run(_read_from_start(broker.bootstrap_servers, topic, 1)) == [before]

        if not broker.can_restart:
            pytest.skip("this broker cannot be restarted (external or container)")
        broker.stop()
        broker.start()

        # Written before the outage, still there after it; and the broker takes new writes.
        after = f"after-{uuid.uuid4()}".encode()
        asyncio.run(_produce(broker.bootstrap_servers, topic, after))
        assert asyncio.run(_read_from_start(broker.bootstrap_servers, topic, 2)) == [before, after]
    finally:
        broker.close()
