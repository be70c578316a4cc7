"""The snapshot topics' messages made again from the database: `crm events republish`, for
repairs (a snapshot topic lost or wrong). Each record's current state as its `updated` event,
an archived record as a tombstone."""

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, tuple_

from services.deals.tables import Company, Contact, Deal, Stage
from services.deals.usecases.companies import company_address
from services.deals.usecases.deal_writes import snapshot
from shared.bus import Message
from shared.contracts.deals import CompanyUpdated, ContactUpdated, DealUpdated
from shared.db import SessionFactory
from shared.events import Contract, new_event
from shared.snapshots import snapshot_message

BATCH = 500


def _message(record: Any, data: Contract) -> Message:
    """The record's state on its snapshot topic, or a tombstone once it is archived."""
    envelope = new_event(data, subject=record.id, time=record.updated_at).model_dump(mode="json")
    message = snapshot_message(data.type, str(record.id), envelope)
    assert message is not None  # every `updated` type has a snapshot topic
    if record.archived_at is not None:
        return Message(message.topic, message.key, envelope, tombstone=True)
    return message


def _company(row: Any) -> Message:
    (company,) = row
    data = CompanyUpdated(
        company_id=company.id,
        name=company.name,
        tax_id=company.tax_id,
        address=company_address(company),
    )
    return _message(company, data)


def _contact(row: Any) -> Message:
    (contact,) = row
    data = ContactUpdated(
        contact_id=contact.id,
        company_id=contact.company_id,
        name=contact.name,
        position=contact.position,
        phone=contact.phone,
        email=contact.email,
    )
    return _message(contact, data)


def _deal(row: Any) -> Message:
    deal, kind = row
    return _message(deal, DealUpdated(**snapshot(deal, kind)))


AGGREGATES: dict[str, tuple[Callable[[], Any], Any, Callable[[Any], Message]]] = {
    "company": (lambda: select(Company), Company, _company),
    "contact": (lambda: select(Contact), Contact, _contact),
    "deal": (lambda: select(Deal, Stage.kind).join(Stage, Stage.id == Deal.stage_id), Deal, _deal),
}


async def snapshots(
    sessions: SessionFactory, aggregate: str, *, since: datetime | None
) -> AsyncIterator[list[Message]]:
    """Batches of snapshot messages of every record of `aggregate` (changed since `since`),
    in order of change."""
    query, table, message = AGGREGATES[aggregate]
    after: tuple[datetime, UUID] | None = None
    while True:
        statement = query().order_by(table.updated_at, table.id).limit(BATCH)
        if since is not None:
            statement = statement.where(table.updated_at >= since)
        if after is not None:
            statement = statement.where(tuple_(table.updated_at, table.id) > after)
        async with sessions() as session:
            rows = (await session.execute(statement)).all()
        if not rows:
            return
        yield [message(row) for row in rows]
        last = rows[-1][0]
        after = (last.updated_at, last.id)
