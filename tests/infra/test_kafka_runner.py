"""The session's Kafka broker works, and its data survives a stop/start (outage tests rely on it)."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.testing.kafka import KafkaBroker

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


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


async def test_message_survives_broker_restart(kafka: KafkaBroker) -> None:
    topic = f"runner-{uuid.uuid4().hex[:8]}"
    before = f"before-{uuid.uuid4()}".encode()
    await _produce(kafka.bootstrap_servers, topic, before)
    assert await _read_from_start(kafka.bootstrap_servers, topic, 1) == [before]

    if not kafka.can_restart:
        pytest.skip("this broker cannot be restarted (external or container)")
    await asyncio.to_thread(kafka.stop)
    await asyncio.to_thread(kafka.start)

    # Written before the outage, still there after it; and the broker takes new writes.
    after = f"after-{uuid.uuid4()}".encode()
    await _produce(kafka.bootstrap_servers, topic, after)
    assert await _read_from_start(kafka.bootstrap_servers, topic, 2) == [before, after]
