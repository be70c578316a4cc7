"""Consumers apply each event once, on a real PostgreSQL, and give up on what cannot be applied."""

from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.calendar.app import SPEC as KERNEL_ONLY
from shared.consumer import Consumer, Dead, Duplicate, Handled
from shared.contracts.deals import CompanyCreated
from shared.db import SessionFactory, new_engine, new_session_factory
from shared.events import Envelope, new_event
from shared.migrations import upgrade_async
from shared.postgres import async_url


@pytest.fixture
async def sessions(new_database: Any) -> AsyncIterator[SessionFactory]:
    url = async_url(await new_database("inbox"))
    await upgrade_async(KERNEL_ONLY.migrations, url)
    engine = new_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE applied (event_id uuid, name text)"))
    yield new_session_factory(engine)
    await engine.dispose()


async def append_row(session: AsyncSession, event: Envelope[Any]) -> None:
    """Deliberately not idempotent: every call adds a row."""
    await session.execute(
        text("INSERT INTO applied VALUES (:id, :name)"), {"id": event.id, "name": event.data.name}
    )


async def applied_rows(sessions: SessionFactory) -> int:
    async with sessions() as session:
        return int(await session.scalar(text("SELECT count(*) FROM applied")) or 0)


def message() -> bytes:
    event = new_event(CompanyCreated(company_id=uuid4(), name="Acme"), subject="x")
    return event.model_dump_json().encode()


async def test_a_duplicate_delivery_is_applied_once(sessions: SessionFactory) -> None:
    consumer = Consumer("test", sessions, {CompanyCreated.type: append_row})
    body = message()

    first, second = await consumer.deliver(body), await consumer.deliver(body)

    assert (first, second) == (Handled(), Duplicate())
    assert await applied_rows(sessions) == 1


async def test_another_consumer_group_applies_the_same_event_too(sessions: SessionFactory) -> None:
    body = message()

    await Consumer("one", sessions, {CompanyCreated.type: append_row}).deliver(body)
    await Consumer("two", sessions, {CompanyCreated.type: append_row}).deliver(body)

    assert await applied_rows(sessions) == 2


async def test_a_handler_that_keeps_failing_leaves_nothing_written(
    sessions: SessionFactory,
) -> None:
    async def write_then_fail(session: AsyncSession, event: Envelope[Any]) -> None:
        await append_row(session, event)
        raise ValueError("the rule refuses it")

    consumer = Consumer("test", sessions, {CompanyCreated.type: write_then_fail}, retry_delay=0)
    body = message()

    outcome = await consumer.deliver(body)

    assert isinstance(outcome, Dead)
    assert "the rule refuses it" in outcome.error
    assert await applied_rows(sessions) == 0
    # Not recorded as processed either: a fixed handler may still apply it from the DLQ.
    assert (
        await Consumer("test", sessions, {CompanyCreated.type: append_row}).deliver(body)
        == Handled()
    )


async def test_a_malformed_message_is_dead_without_touching_the_database(
    sessions: SessionFactory,
) -> None:
    consumer = Consumer("test", sessions, {CompanyCreated.type: append_row})

    outcome = await consumer.deliver(b"{broken")

    assert isinstance(outcome, Dead)
    assert outcome.error.startswith("not JSON")
    assert await applied_rows(sessions) == 0


def test_a_consumer_of_an_unregistered_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unregistered"):
        Consumer(
            "test",
            new_session_factory(new_engine("postgresql+asyncpg://x/y")),
            {"crm.x.v1": append_row},
        )
