"""What opening deals writes: the deals, their contacts, the timeline, the tallies and the events.

One deal from the API and a thousand from a CSV file are written alike: the rows are built first
(`rows_of`, no I/O, so an import builds the next batch while the database takes this one), then
written with one `COPY` per table, one upsert of the running tallies and one outbox insert.
"""

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.deals.tables import Deal
from services.deals.usecases.deal_rules import NewDeal
from shared.contracts.deals import DealCreated
from shared.db import copy_rows
from shared.events import Envelope, new_event
from shared.ids import time_ordered_id
from shared.outbox import add_events

# A board column's running totals: stage, owner, currency.
TallyKey = tuple[UUID, UUID, str]
# What a change adds to one key: deals and their amount (negative to take away).
TallyChange = tuple[int, Decimal]

DEAL_COLUMNS = (
    "id",
    "title",
    "company_id",
    "owner_id",
    "amount",
    "currency",
    "expected_close_date",
    "pipeline_id",
    "stage_id",
    "probability",
    "source",
    "custom",
    "lost_reason",
)
# A timeline row as `copy_rows` writes it (`deal_id` None: an entry of the company's own).
TIMELINE_COLUMNS = ("id", "deal_id", "company_id", "kind", "actor_id", "at", "data")
DOCUMENT_COLUMNS = ("id", "deal_id", "title", "url", "added_by")


def snapshot(deal: Deal | NewDeal, stage_kind: str) -> dict[str, Any]:
    """A deal as every deal event carries it."""
    return {
        "deal_id": deal.id,
        "title": deal.title,
        "company_id": deal.company_id,
        "owner_id": deal.owner_id,
        "amount": deal.amount,
        "currency": deal.currency,
        "expected_close_date": deal.expected_close_date,
        "pipeline_id": deal.pipeline_id,
        "stage_id": deal.stage_id,
        "stage_kind": stage_kind,
        "probability": deal.probability,
        "archived": isinstance(deal, Deal) and deal.archived_at is not None,
    }


def created_entry(deal: Deal | NewDeal, stage_name: str) -> dict[str, Any]:
    """The timeline's record of a deal opened in `stage_name`."""
    return {"title": deal.title, "stage": stage_name}


def tally_changes(
    counted: Iterable[tuple[TallyKey, Decimal | None, int]],
) -> dict[TallyKey, TallyChange]:
    """Deals counted in (+1) or out (-1) of their keys, summed per key."""
    changes: dict[TallyKey, TallyChange] = {}
    for key, amount, sign in counted:
        count, total = changes.get(key, (0, Decimal(0)))
        changes[key] = (count + sign, total + sign * (amount or Decimal(0)))
    return {key: change for key, change in changes.items() if change != (0, Decimal(0))}


# One statement for any number of keys, so it is prepared once; rows keep the arrays' order.
_ADD_TO_TALLY = text(
    "INSERT INTO deal_tally (stage_id, owner_id, currency, count, amount)"
    " SELECT * FROM unnest(CAST(:stages AS uuid[]), CAST(:owners AS uuid[]),"
    " CAST(:currencies AS text[]), CAST(:counts AS integer[]), CAST(:amounts AS numeric[]))"
    " ON CONFLICT (stage_id, owner_id, currency) DO UPDATE"
    " SET count = deal_tally.count + excluded.count, amount = deal_tally.amount + excluded.amount"
)


async def add_to_tally(session: AsyncSession, changes: Mapping[TallyKey, TallyChange]) -> None:
    """Add each change to its running totals: one statement, keys in one order (no deadlocks)."""
    if not changes:
        return
    ordered = sorted(changes.items())
    await session.execute(
        _ADD_TO_TALLY,
        {
            "stages": [stage for (stage, _, _), _ in ordered],
            "owners": [owner for (_, owner, _), _ in ordered],
            "currencies": [currency for (_, _, currency), _ in ordered],
            "counts": [count for _, (count, _) in ordered],
            "amounts": [amount for _, (_, amount) in ordered],
        },
    )


@dataclass(frozen=True)
class DealRows:
    """Everything some new deals write, built before the transaction that writes it."""

    deals: list[tuple[Any, ...]]
    contacts: list[tuple[UUID, UUID]]
    documents: list[tuple[Any, ...]]
    timeline: list[tuple[Any, ...]]
    tally: dict[TallyKey, TallyChange]
    events: list[Envelope[DealCreated]]


def rows_of(deals: Sequence[NewDeal], *, actor: str) -> DealRows:
    """The rows, tallies and `crm.deal.created.v1` events of `deals`, opened by `actor`."""
    at = datetime.now(UTC)
    return DealRows(
        deals=[
            (
                d.id,
                d.title,
                d.company_id,
                d.owner_id,
                d.amount,
                d.currency,
                d.expected_close_date,
                d.pipeline_id,
                d.stage_id,
                d.probability,
                d.source,
                json.dumps(d.custom) if d.custom else "{}",
                d.lost_reason,
            )
            for d in deals
        ],
        contacts=[(d.id, contact) for d in deals for contact in d.contact_ids],
        documents=[
            (time_ordered_id(), d.id, title, url, actor)
            for d in deals
            for title, url in d.documents
        ],
        timeline=[
            (
                time_ordered_id(),
                d.id,
                d.company_id,
                "created",
                actor,
                at,
                json.dumps(created_entry(d, d.stage.name)),
            )
            for d in deals
        ]
        + [
            (
                time_ordered_id(),
                d.id,
                d.company_id,
                "document_added",
                actor,
                at,
                json.dumps({"title": title, "url": url}),
            )
            for d in deals
            for title, url in d.documents
        ],
        tally=tally_changes(((d.stage_id, d.owner_id, d.currency), d.amount, +1) for d in deals),
        events=[
            new_event(DealCreated(**snapshot(d, d.stage.kind)), subject=d.id, time=at)
            for d in deals
        ],
    )


async def write_deals(session: AsyncSession, rows: DealRows) -> None:
    """Write `rows` in the session's transaction; the tallies last, so their rows, which other
    writers of the same stage and owner wait for, stay locked for the shortest time."""
    await add_events(session, rows.events)
    await copy_rows(session, "deal", DEAL_COLUMNS, rows.deals)
    await copy_rows(session, "deal_contact", ("deal_id", "contact_id"), rows.contacts)
    await copy_rows(session, "deal_document", DOCUMENT_COLUMNS, rows.documents)
    await copy_rows(session, "timeline_entry", TIMELINE_COLUMNS, rows.timeline)
    await add_to_tally(session, rows.tally)
