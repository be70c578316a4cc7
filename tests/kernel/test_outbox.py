"""The outbox keeps events with their transaction; the relay delivers them in order, through outages."""

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import text

from services.calendar.app import SPEC as KERNEL_ONLY
from shared.bus import InProcessBus, Message
from shared.contracts.deals import CompanyArchived, CompanyCreated
from shared.db import SessionFactory, copy_rows, new_engine, new_session_factory, unit_of_work
from shared.events import new_event
from shared.migrations import upgrade_async
from shared.outbox import Relay, add_event, add_events
from shared.postgres import async_url
from shared.testing.waiting import eventually


class RecordingBus(InProcessBus):
    """Records what is published; can be told to fail, as a broker outage would."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[Message] = []  # on change topics
        self.snapshots: list[Message] = []  # on snapshot topics
        self.down = False
        self.refused = 0

    async def publish(self, messages: list[Message]) -> None:
        if self.down:
            self.refused += 1
            raise ConnectionError("broker is down")
        await asyncio.sleep(0.005)  # a broker takes a moment: lets two relays overlap
        for message in messages:
            kept = self.snapshots if message.topic.endswith(".snapshot") else self.published
            kept.append(message)


class CountingRelay(Relay):
    """A relay that counts its rounds (each a look at the outbox), to know when it is idle."""

    rounds = 0

    async def relay_once(self) -> int:
        sent = await super().relay_once()
        self.rounds += 1
        return sent


@pytest.fixture
async def database(new_database: Any) -> AsyncIterator[tuple[str, SessionFactory]]:
    url = async_url(await new_database("outbox"))
    await upgrade_async(KERNEL_ONLY.migrations, url)
    engine = new_engine(url)
    yield url, new_session_factory(engine)
    await engine.dispose()


async def add_companies(sessions: SessionFactory, names: list[str]) -> None:
    async with unit_of_work(sessions) as session:
        for name in names:
            event = new_event(CompanyCreated(company_id=uuid4(), name=name), subject=name)
            await add_event(session, event)


async def pending(sessions: SessionFactory) -> int:
    async with sessions() as session:
        return int(
            await session.scalar(text("SELECT count(*) FROM outbox WHERE sent_at IS NULL")) or 0
        )


async def test_an_event_of_a_rolled_back_transaction_never_leaves(
    database: tuple[str, SessionFactory],
) -> None:
    _, sessions = database
    with pytest.raises(RuntimeError):
        async with unit_of_work(sessions) as session:
            await add_event(
                session, new_event(CompanyCreated(company_id=uuid4(), name="A"), subject=1)
            )
            raise RuntimeError("the use case failed after writing")

    async with sessions() as session:
        assert await session.scalar(text("SELECT count(*) FROM outbox")) == 0


async def test_the_relay_publishes_in_commit_order_and_marks_rows_sent(
    database: tuple[str, SessionFactory],
) -> None:
    url, sessions = database
    bus = RecordingBus()
    await add_companies(sessions, ["first", "second", "third"])

    sent = await Relay(service="t", sessions=sessions, bus=bus, database_url=url).relay_once()

    assert sent == 3
    assert [m.key for m in bus.published] == ["first", "second", "third"]
    assert {m.topic for m in bus.published} == {"crm.deals.company"}
    assert bus.snapshots == [replace(m, topic="crm.deals.company.snapshot") for m in bus.published]
    assert await pending(sessions) == 0


async def test_archiving_puts_a_tombstone_on_the_snapshot_topic(
    database: tuple[str, SessionFactory],
) -> None:
    url, sessions = database
    bus = RecordingBus()
    company_id = uuid4()
    async with unit_of_work(sessions) as session:
        for kind in (CompanyCreated, CompanyArchived):
            await add_event(
                session, new_event(kind(company_id=company_id, name="A"), subject=company_id)
            )

    await Relay(service="t", sessions=sessions, bus=bus, database_url=url).relay_once()

    assert [(m.key, m.body is None) for m in bus.snapshots] == [
        (str(company_id), False),
        (str(company_id), True),
    ]


async def test_the_relay_keeps_events_while_the_bus_is_down_and_delivers_them_after(
    database: tuple[str, SessionFactory],
) -> None:
    url, sessions = database
    bus = RecordingBus()
    bus.down = True
    relay = Relay(
        service="t", sessions=sessions, bus=bus, database_url=url, max_backoff_seconds=0.2
    )
    running = asyncio.create_task(relay.run())
    await add_companies(sessions, ["a", "b"])
    await eventually(lambda: bus.refused >= 2)  # tried, backed off, tried again
    assert (bus.published, await pending(sessions)) == ([], 2)

    bus.down = False
    await eventually(lambda: len(bus.published) == 2)
    relay.stop()
    await running

    assert [m.key for m in bus.published] == ["a", "b"]
    assert await pending(sessions) == 0


async def test_a_commit_wakes_the_relay_without_waiting_for_the_poll(
    database: tuple[str, SessionFactory],
) -> None:
    url, sessions = database
    bus = RecordingBus()
    relay = CountingRelay(
        service="t", sessions=sessions, bus=bus, database_url=url, poll_seconds=30
    )
    running = asyncio.create_task(relay.run())
    # Its first look, then the catch-up once it listens: from now on only a NOTIFY wakes it.
    await eventually(lambda: relay.rounds >= 2)

    await add_companies(sessions, ["woken"])
    await eventually(lambda: len(bus.published) == 1, timeout=2)
    relay.stop()
    await running

    assert bus.published[0].key == "woken"


async def test_two_relays_at_once_publish_each_event_once(
    database: tuple[str, SessionFactory],
) -> None:
    url, sessions = database
    bus = RecordingBus()
    await add_companies(sessions, [f"c{n}" for n in range(50)])
    relays = [
        Relay(service="t", sessions=sessions, bus=bus, database_url=url, batch_size=10)
        for _ in range(2)
    ]

    async def drain(relay: Relay) -> None:
        while await pending(sessions):
            await relay.relay_once()

    await asyncio.gather(*(drain(relay) for relay in relays))

    assert [m.key for m in bus.published] == [f"c{n}" for n in range(50)]


async def test_a_bus_that_has_not_started_yet_is_waited_for_without_a_warning(
    database: tuple[str, SessionFactory], caplog: pytest.LogCaptureFixture
) -> None:
    url, sessions = database
    bus = InProcessBus()  # embedded mode starts it once every service has subscribed
    relay = Relay(service="t", sessions=sessions, bus=bus, database_url=url)
    caplog.set_level(logging.DEBUG, logger="shared.outbox")
    running = asyncio.create_task(relay.run())
    await add_companies(sessions, ["early"])
    await eventually(lambda: "bus is not started" in caplog.text)

    await bus.start()
    await eventually(lambda: none_pending(sessions))
    relay.stop()
    await running

    relay_logs = [r.levelno for r in caplog.records if r.name == "shared.outbox"]
    assert relay_logs and max(relay_logs) == logging.DEBUG


async def none_pending(sessions: SessionFactory) -> bool:
    return await pending(sessions) == 0


async def test_many_events_written_at_once_leave_one_by_one_each_with_its_own_id(
    database: tuple[str, SessionFactory],
) -> None:
    url, sessions = database
    bus = RecordingBus()
    events = [
        new_event(CompanyCreated(company_id=uuid4(), name=f"Firma {n}"), subject=n)
        for n in range(5)
    ]
    async with unit_of_work(sessions) as session:
        await add_events(session, events)
        await add_events(session, [])  # nothing to write, nothing written

    await Relay(service="test", sessions=sessions, bus=bus, database_url=url).relay_once()

    assert [m.envelope["id"] for m in bus.published] == [str(e.id) for e in events]
    assert [m.key for m in bus.published] == ["0", "1", "2", "3", "4"]
    assert bus.published[0].envelope == events[0].model_dump(mode="json")


async def test_rows_copied_in_a_rolled_back_transaction_are_not_there(
    database: tuple[str, SessionFactory],
) -> None:
    _, sessions = database
    rows = [(uuid4(), "crm.test", "key", "test.v1", '{"n": 1}')]
    columns = ("event_id", "topic", "key", "type", "envelope")
    with pytest.raises(RuntimeError):
        async with unit_of_work(sessions) as session:
            await copy_rows(session, "outbox", columns, rows)
            raise RuntimeError("the use case failed after writing")
    async with unit_of_work(sessions) as session:
        await copy_rows(session, "outbox", columns, rows)

    async with sessions() as session:
        stored = (await session.execute(text("SELECT event_id, envelope FROM outbox"))).all()
    assert stored == [(rows[0][0], {"n": 1})]
