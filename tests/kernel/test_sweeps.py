"""The kernel's tables kept to size: old sent events leave the outbox, old notes of applied
events leave the inbox, expired keys go; nothing still needed goes with them."""

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from services.deals.app import create_app
from services.deals.settings import DealsSettings
from shared.bus import InProcessBus
from shared.reads import ReadPool, Statement
from shared.sweeps import APPLIED_EVENTS, SENT_EVENTS, sweep, sweeps_of
from shared.testing.apps import running

DAY = 24 * 3600

_OUTBOX = Statement(
    "INSERT INTO outbox (event_id, topic, key, type, envelope, created_at, sent_at)"
    " VALUES ($1, 'crm.deals.deal', 'k', 'crm.deal.created.v1', '{}',"
    " now() - make_interval(days => $2), now() - make_interval(days => $3))",
    ("event", "made", "sent"),
    {},
)
_INBOX = Statement(
    "INSERT INTO inbox (consumer, event_id, type, processed_at)"
    " VALUES ('deals', $1, 'crm.user.created.v1', now() - make_interval(days => $2))",
    ("event", "days"),
    {},
)


@pytest.fixture
async def deals(
    service_database: Any, settings_for: Any, bus: InProcessBus
) -> AsyncIterator[tuple[DealsSettings, ReadPool]]:
    """A service (any would do: the kernel's tables are the same) and its read pool."""
    settings = DealsSettings(**settings_for(await service_database("deals")))
    app = create_app(settings, bus)
    async with running(app):
        yield settings, app.state.reads


async def _left(reads: ReadPool, table: str, ids: list[UUID]) -> set[UUID]:
    rows = await reads.rows(
        Statement(f"SELECT event_id FROM {table} WHERE event_id = any($1::uuid[])", ("ids",), {}),
        ids=[str(each) for each in ids],
    )
    return {UUID(row["event_id"]) for row in rows}


def _kept(settings: DealsSettings, statement: str) -> float:
    return next(each.keep_seconds for each in sweeps_of(settings) if each.statement == statement)


async def test_sent_events_leave_the_outbox_after_a_week_and_unsent_ones_never(
    deals: tuple[DealsSettings, ReadPool],
) -> None:
    settings, reads = deals
    rows = {
        "sent 8 days ago": (uuid4(), 9, 8),
        "sent 9 days ago": (uuid4(), 9, 9),
        "sent 6 days ago": (uuid4(), 7, 6),
        "made 30 days ago, never sent": (uuid4(), 30, None),
    }
    for event_id, made, sent in rows.values():
        await reads.rows(_OUTBOX, event=event_id, made=made, sent=sent)

    gone = await sweep(reads, SENT_EVENTS, _kept(settings, SENT_EVENTS), batch=1)

    assert gone == 2
    assert await _left(reads, "outbox", [row[0] for row in rows.values()]) == {
        rows["sent 6 days ago"][0],
        rows["made 30 days ago, never sent"][0],
    }


async def test_notes_of_applied_events_outlive_every_topic_then_go(
    deals: tuple[DealsSettings, ReadPool],
) -> None:
    settings, reads = deals
    old, recent = uuid4(), uuid4()
    await reads.rows(_INBOX, event=old, days=36)
    await reads.rows(_INBOX, event=recent, days=29)  # a dead letter may still come

    gone = await sweep(reads, APPLIED_EVENTS, _kept(settings, APPLIED_EVENTS))

    assert gone == 1
    assert await _left(reads, "inbox", [old, recent]) == {recent}


def test_the_inbox_must_remember_longer_than_dead_letters_are_kept(settings_for: Any) -> None:
    with pytest.raises(ValidationError, match=r"inbox_keep_days|CRM_INBOX_KEEP_DAYS"):
        DealsSettings(**settings_for("postgresql+asyncpg://crm@localhost/x"), inbox_keep_days=20)
    settings = DealsSettings(
        **settings_for("postgresql+asyncpg://crm@localhost/x"),
        outbox_keep_days=1,
        inbox_keep_days=30,
    )
    assert [each.keep_seconds for each in sweeps_of(settings)] == [24 * 3600, DAY, 30 * DAY]
