"""The kernel's tables kept to size: old sent events leave the outbox, old notes of applied
events leave the inbox, expired keys go; nothing still needed goes with them."""

from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from services.deals.app import create_app
from services.deals.settings import DealsSettings
from shared.bus import InProcessBus
from shared.sweeps import APPLIED_EVENTS, SENT_EVENTS, sweep, sweeps_of
from shared.testing.apps import running

DAY = 24 * 3600

_OUTBOX = (
    "INSERT INTO outbox (event_id, topic, key, type, envelope, created_at, sent_at)"
    " VALUES ($1, 'crm.deals.deal', 'k', 'crm.deal.created.v1', '{}',"
    " now() - make_interval(days => $2), now() - make_interval(days => $3))"
)
_INBOX = (
    "INSERT INTO inbox (consumer, event_id, type, processed_at)"
    " VALUES ('deals', $1, 'crm.user.created.v1', now() - make_interval(days => $2))"
)


async def test_sent_events_leave_the_outbox_after_a_week_and_unsent_ones_never(
    service_database: Any, settings_for: Any, bus: InProcessBus
) -> None:
    settings = DealsSettings(**settings_for(await service_database("deals")))
    app = create_app(settings, bus)
    async with running(app):
        reads = app.state.reads
        rows = {
            "sent 8 days ago": (uuid4(), 9, 8),
            "sent 9 days ago": (uuid4(), 9, 9),
            "sent 6 days ago": (uuid4(), 7, 6),
            "made 30 days ago, never sent": (uuid4(), 30, None),
        }
        for event_id, made, sent in rows.values():
            await reads.run(lambda c, e=event_id, m=made, s=sent: c.execute(_OUTBOX, e, m, s))
        keep = next(each for each in sweeps_of(settings) if each.statement == SENT_EVENTS)

        gone = await sweep(reads, SENT_EVENTS, keep.keep_seconds, batch=1)
        left = await reads.run(
            lambda c: c.fetch(
                "SELECT event_id FROM outbox WHERE event_id = any($1::uuid[])",
                [str(r[0]) for r in rows.values()],
            )
        )

    assert gone == 2
    assert {str(row["event_id"]) for row in left} == {
        str(rows["sent 6 days ago"][0]),
        str(rows["made 30 days ago, never sent"][0]),
    }


async def test_notes_of_applied_events_outlive_every_topic_then_go(
    service_database: Any, settings_for: Any, bus: InProcessBus
) -> None:
    settings = DealsSettings(**settings_for(await service_database("deals")))
    app = create_app(settings, bus)
    async with running(app):
        reads = app.state.reads
        old, recent = uuid4(), uuid4()
        await reads.run(lambda c: c.execute(_INBOX, old, 36))
        await reads.run(lambda c: c.execute(_INBOX, recent, 29))  # a dead letter may still come
        keep = next(each for each in sweeps_of(settings) if each.statement == APPLIED_EVENTS)

        gone = await sweep(reads, APPLIED_EVENTS, keep.keep_seconds)
        left = await reads.run(
            lambda c: c.fetch(
                "SELECT event_id FROM inbox WHERE event_id = any($1::uuid[])",
                [str(old), str(recent)],
            )
        )

    assert gone == 1
    assert [str(row["event_id"]) for row in left] == [str(recent)]


def test_the_inbox_must_remember_longer_than_dead_letters_are_kept(settings_for: Any) -> None:
    with pytest.raises(ValidationError, match=r"inbox_keep_days|CRM_INBOX_KEEP_DAYS"):
        DealsSettings(**settings_for("postgresql+asyncpg://crm@localhost/x"), inbox_keep_days=20)
    settings = DealsSettings(
        **settings_for("postgresql+asyncpg://crm@localhost/x"),
        outbox_keep_days=1,
        inbox_keep_days=30,
    )
    assert [each.keep_seconds for each in sweeps_of(settings)] == [24 * 3600, DAY, 30 * DAY]
