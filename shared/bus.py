"""Where relayed events go: Kafka in production, in-process subscribers in embedded mode."""

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from shared.consumer import Consumer, Dead

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    """One outbox row on its way: the topic, the key (the event's subject) and the envelope;
    or, on a snapshot topic, a tombstone (a null value: the record is archived)."""

    topic: str
    key: str
    envelope: dict[str, Any]
    tombstone: bool = False

    @property
    def body(self) -> bytes | None:
        if self.tombstone:
            return None
        return json.dumps(self.envelope, separators=(",", ":"), ensure_ascii=False).encode()


class BusNotReady(RuntimeError):
    """The bus is not started yet; the relay retries."""


class Bus(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, messages: list[Message]) -> None:
        """Deliver all messages or raise; a retry may deliver some twice (consumers dedupe)."""

    def subscribe(self, consumer: Consumer) -> None:
        """Register a consumer group; call before `start()`."""

    async def ping(self) -> bool: ...


@dataclass
class DeadLetter:
    topic: str
    body: bytes
    error: str


@dataclass
class InProcessBus:
    """Embedded mode: a publish awaits every subscribed consumer, so delivery is confirmed."""

    consumers: list[Consumer] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    _started: bool = False

    async def start(self) -> None:
        self._started = True

    async def stop(self) -> None:
        self._started = False

    def subscribe(self, consumer: Consumer) -> None:
        self.consumers.append(consumer)

    async def ping(self) -> bool:
        return self._started

    async def publish(self, messages: list[Message]) -> None:
        if not self._started:
            raise BusNotReady("in-process bus is not started")
        for message in messages:
            body = message.body
            if body is None:
                continue  # a tombstone: no consumer reads snapshot topics in process
            interested = [c for c in self.consumers if message.topic in c.topics]
            await asyncio.gather(*(self._deliver(c, message.topic, body) for c in interested))

    async def _deliver(self, consumer: Consumer, topic: str, body: bytes) -> None:
        outcome = await consumer.deliver(body)
        if isinstance(outcome, Dead):
            log.error("%s: event dead-lettered from %s: %s", consumer.name, topic, outcome.error)
            self.dead_letters.append(DeadLetter(f"{topic}.dlq", body, outcome.error))
