"""`crm events republish` in tests: run it against a real broker and read what it published."""

import asyncio
import json
from typing import Any
from uuid import uuid4

from aiokafka import AIOKafkaConsumer
from typer.testing import CliRunner

from services import cli
from shared.snapshots import SNAPSHOT_SUFFIX
from shared.testing.apps import TEST_SECRET
from shared.testing.kafka import KafkaBroker
from shared.testing.waiting import eventually


async def republish(
    kafka: KafkaBroker,
    service: str,
    aggregate: str,
    database_url: str,
    topic: str,
    *args: str,
) -> tuple[str, dict[str, dict[str, Any] | None]]:
    """Run `crm events republish service aggregate *args` into a namespace of its own; its
    output, and the snapshot topic's messages by key (the newest of each; None: a tombstone)."""
    namespace = f"r{uuid4().hex[:8]}"
    ran = await asyncio.to_thread(
        CliRunner().invoke,
        cli.app,
        ["events", "republish", service, aggregate, *args],
        env={
            f"{service.upper()}_DATABASE_URL": database_url,
            "CRM_IDENTITY_SECRET": TEST_SECRET,
            "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
            "KAFKA_NAMESPACE": namespace,
            **kafka.security_env(),
        },
    )
    assert ran.exit_code == 0, ran.output
    return ran.stdout, await read_topic(kafka, f"{namespace}.{topic}{SNAPSHOT_SUFFIX}")


async def read_topic(kafka: KafkaBroker, topic: str) -> dict[str, dict[str, Any] | None]:
    """Every message of `topic` now there, the newest per key: the envelope, or None."""
    consumer = AIOKafkaConsumer(
        topic,  # no group: every partition, from the beginning
        bootstrap_servers=kafka.bootstrap_servers,
        **kafka.client_options(),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        await eventually(consumer.assignment, timeout=10)
        ends = await consumer.end_offsets(list(consumer.assignment()))
        held: dict[str, dict[str, Any] | None] = {}
        while any([await consumer.position(p) < end for p, end in ends.items()]):
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    value = None if record.value is None else json.loads(record.value)
                    held[record.key.decode()] = value
        return held
    finally:
        await consumer.stop()


def database_url_of(client: Any) -> str:
    """The database of the service app a test client talks to."""
    engine = client._transport.app.state.engine
    return str(engine.url.render_as_string(hide_password=False))
