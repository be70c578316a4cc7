"""Idempotent consumers: each event is applied once per consumer, recorded in its inbox."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, column, table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import SessionFactory, unit_of_work
from shared.events import REGISTRY, Envelope, MalformedEvent, parse_event
from shared.metrics import EVENTS_DUPLICATE, EVENTS_HANDLED

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, Envelope[Any]], Awaitable[None]]


def combined(*tables: Mapping[str, Handler]) -> dict[str, Handler]:
    """One table of handlers from several kept apart by purpose: an event type named in more
    than one is applied by each of them, in the order given, in the same transaction."""
    found: dict[str, list[Handler]] = {}
    for handlers in tables:
        for event_type, handler in handlers.items():
            found.setdefault(event_type, []).append(handler)
    return {event_type: _in_turn(handlers) for event_type, handlers in found.items()}


def _in_turn(handlers: list[Handler]) -> Handler:
    if len(handlers) == 1:
        return handlers[0]

    async def each(session: AsyncSession, event: Envelope[Any]) -> None:
        for handler in handlers:
            await handler(session, event)

    return each


inbox = table("inbox", column("consumer"), column("event_id"), column("type"))
# Built once: the statement is the same for every event (only the parameters change).
_RECORD = (
    insert(inbox)
    .values(consumer=bindparam("consumer"), event_id=bindparam("event_id"), type=bindparam("type"))
    .on_conflict_do_nothing()
    .returning(inbox.c.event_id)
)


@dataclass(frozen=True)
class Handled:
    """The handler ran and its writes were committed."""


@dataclass(frozen=True)
class Duplicate:
    """The event was processed before; nothing was done."""


@dataclass(frozen=True)
class Skipped:
    """An event on a subscribed topic that this consumer does not handle."""


@dataclass(frozen=True)
class Dead:
    """The message cannot be processed: malformed, or the handler kept failing."""

    error: str


Outcome = Handled | Duplicate | Skipped | Dead


def is_transient(error: BaseException) -> bool:
    """Failures of the infrastructure (not of the event): retry later instead of dead-lettering."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OperationalError | InterfaceError | OSError | TimeoutError)


class Consumer:
    """A consumer group of one service: its handlers by event type, over its own database."""

    def __init__(
        self,
        name: str,
        sessions: SessionFactory,
        handlers: Mapping[str, Handler],
        *,
        attempts: int = 3,
        retry_delay: float = 0.2,
    ) -> None:
        unknown = set(handlers) - set(REGISTRY)
        if unknown:
            raise ValueError(f"{name} handles unregistered event types: {sorted(unknown)}")
        self.name = name
        self.handlers = dict(handlers)
        self.topics = {REGISTRY[type_].topic for type_ in handlers}
        self._sessions = sessions
        self._attempts = attempts
        self._retry_delay = retry_delay

    async def deliver(self, body: bytes, attributes: Mapping[str, str] | None = None) -> Outcome:
        """Apply one message (with `attributes`, a binary-mode one whose body is the data);
        raise only for transient failures (the bus redelivers later)."""
        try:
            event = parse_event(body, attributes)
        except MalformedEvent as malformed:
            return Dead(str(malformed))
        handler = self.handlers.get(event.type)
        if handler is None:
            return Skipped()
        failure: Exception | None = None
        for attempt in range(1, self._attempts + 1):
            try:
                return await self._apply(event, handler)
            except Exception as error:
                if is_transient(error):
                    raise
                failure = error
                log.warning("%s: %s failed (attempt %d): %s", self.name, event.id, attempt, error)
                await asyncio.sleep(self._retry_delay * attempt)
        return Dead(f"{type(failure).__name__}: {failure}")

    async def _apply(self, event: Envelope[Any], handler: Handler) -> Outcome:
        async with unit_of_work(self._sessions) as session:
            # On the session's connection, past the ORM: the inbox row is plain Core.
            connection = await session.connection()
            first_time = await connection.scalar(
                _RECORD, {"consumer": self.name, "event_id": event.id, "type": event.type}
            )
            if first_time is None:
                EVENTS_DUPLICATE.labels(self.name, event.type).inc()
                return Duplicate()
            await handler(session, event)
        EVENTS_HANDLED.labels(self.name, event.type).inc()
        return Handled()
