"""The Kafka bus: FastStream's KafkaBroker (aiokafka) for the relay and for consumer groups."""

import asyncio
import logging
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage as RawKafkaMessage

from shared.bus import Message
from shared.consumer import Consumer, Dead
from shared.events import BINARY_PREFIX, CLOUDEVENTS_JSON, DLQ_SUFFIX, binary_attributes, topics
from shared.metrics import EVENTS_DEAD

log = logging.getLogger(__name__)


class KafkaBus:
    """Publishes with `acks=all` and an idempotent producer; consumers ack after their handler."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        client_id: str,
        partitions: int = 3,
        replication_factor: int = 1,
        publish_timeout: float = 10.0,
        redelivery_delay: float = 1.0,
    ) -> None:
        self.broker = KafkaBroker(
            bootstrap_servers,
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
            request_timeout_ms=int(publish_timeout * 1000),
            logger=log,
            log_level=logging.DEBUG,
            # Handlers take the raw body and read the message from the context: no dependency
            # injection per message (it cost 0.6 ms at p50, 1.5 ms at p95 of event latency).
            apply_types=False,
        )
        self._bootstrap_servers = bootstrap_servers
        self._partitions = partitions
        self._replication_factor = replication_factor
        self._publish_timeout = publish_timeout
        self._redelivery_delay = redelivery_delay

    async def start(self) -> None:
        await ensure_topics(
            self._bootstrap_servers,
            partitions=self._partitions,
            replication_factor=self._replication_factor,
        )
        await self.broker.start()

    async def stop(self) -> None:
        await self.broker.stop()

    async def ping(self) -> bool:
        return await self.broker.ping(timeout=2.0)

    async def publish(self, messages: list[Message]) -> None:
        """Send the batch concurrently (aiokafka keeps per-partition order) and await every ack."""
        await asyncio.wait_for(self._publish_all(messages), self._publish_timeout)

    async def _publish_all(self, messages: list[Message]) -> None:
        pending = [
            await self.broker.publish(
                message.body,
                message.topic,
                key=message.key.encode(),
                headers={"content-type": CLOUDEVENTS_JSON},
                no_confirm=True,
            )
            for message in messages
        ]
        await asyncio.gather(*pending)

    def subscribe(self, consumer: Consumer) -> None:
        subscriber = self.broker.subscriber(
            *sorted(consumer.topics),
            group_id=consumer.name,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
        )

        async def handle(_: bytes) -> None:
            await self._handle(consumer, self.broker.context.get_local("message"))

        subscriber(handle)

    async def _handle(self, consumer: Consumer, message: RawKafkaMessage) -> None:
        raw: Any = message.raw_message
        topic = raw.topic
        try:
            outcome = await consumer.deliver(message.body, binary_attributes(raw.headers or ()))
        except Exception:
            # The database is unreachable: wait, then let Kafka redeliver (nack seeks back).
            await asyncio.sleep(self._redelivery_delay)
            raise
        if isinstance(outcome, Dead):
            await self._dead_letter(consumer, topic, message, outcome.error)

    async def _dead_letter(
        self, consumer: Consumer, topic: str, message: RawKafkaMessage, error: str
    ) -> None:
        log.error("%s: message from %s dead-lettered: %s", consumer.name, topic, error)
        raw: Any = message.raw_message
        # The message goes on as it came (its content type, a binary event's `ce_*` headers),
        # with what went wrong added.
        kept = {
            name: value.decode("utf-8", "replace")
            for name, value in raw.headers or ()
            if name.lower() == "content-type" or name.lower().startswith(BINARY_PREFIX)
        }
        await self.broker.publish(
            message.body,
            topic + DLQ_SUFFIX,
            key=raw.key,
            headers={
                **kept,
                "x-error": error[:1000],
                "x-consumer": consumer.name,
                "x-original-topic": topic,
                "x-original-partition": str(raw.partition),
                "x-original-offset": str(raw.offset),
            },
        )
        EVENTS_DEAD.labels(consumer.name, topic).inc()


async def ensure_topics(
    bootstrap_servers: str, *, partitions: int, replication_factor: int
) -> None:
    """Create every contract topic and its dead-letter topic that does not exist yet."""
    wanted = [name for topic in topics() for name in (topic, topic + DLQ_SUFFIX)]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        missing = set(wanted) - set(await admin.list_topics())
        if missing:
            await admin.create_topics(
                [NewTopic(name, partitions, replication_factor) for name in sorted(missing)]
            )
    except TopicAlreadyExistsError:
        pass  # another replica created it first
    finally:
        await admin.close()
