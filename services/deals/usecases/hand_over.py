"""Handing over what a person owns when they leave or change jobs: their open deals and,
if asked, their customers go to one colleague in one go, each change audited and announced as
if it were made by hand. Won and lost deals stay with whoever closed them (they count for that
person's results); archived records stay as they are."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.deals.tables import Company, Contact, Deal
from services.deals.usecases.companies import (
    company_snapshot,
    contact_owner_entry,
    owner_entry,
)
from services.deals.usecases.contacts import contact_snapshot
from services.deals.usecases.deal_rules import load_catalogue
from services.deals.usecases.deals import apply_changes
from services.deals.usecases.ownership import check_may_change, check_new_owner
from shared.auth import Identity
from shared.contracts.deals import CompanyUpdated, ContactUpdated
from shared.db import SessionFactory, unit_of_work
from shared.errors import Invalid
from shared.events import Envelope, new_event
from shared.outbox import add_events
from shared.text import N_


@dataclass(frozen=True)
class HandedOver:
    deals: int
    companies: int
    contacts: int


async def hand_over(
    sessions: SessionFactory,
    *,
    identity: Identity,
    from_owner_id: UUID,
    to_owner_id: UUID,
    customers: bool,
    today: date,
) -> HandedOver:
    """Give `from_owner_id`'s open deals (and with `customers` their companies and contacts) to
    `to_owner_id`: the administrator between anyone active, a head within the group; all or
    nothing."""
    if from_owner_id == to_owner_id:
        raise Invalid({"to_owner_id": N_("is the person handing over")})
    async with unit_of_work(sessions) as session:
        await check_may_change(session, identity, from_owner_id)
        try:
            await check_new_owner(session, identity, to_owner_id)
        except Invalid as refused:  # the API's field is the one who takes them
            raise Invalid({"to_owner_id": refused.problems["owner_id"]}) from None
        deals = await _open_deals(session, identity, from_owner_id, to_owner_id, today)
        companies = contacts = 0
        if customers:
            gone, to = from_owner_id, to_owner_id
            companies = await _customers(session, identity, Company, _company_updated, gone, to)
            contacts = await _customers(session, identity, Contact, _contact_updated, gone, to)
    return HandedOver(deals=deals, companies=companies, contacts=contacts)


async def _open_deals(
    session: AsyncSession, identity: Identity, from_owner_id: UUID, to_owner_id: UUID, today: date
) -> int:
    catalogue = await load_catalogue(session)
    open_stages = [stage.id for stage in catalogue.stages.values() if stage.kind == "open"]
    query = (
        select(Deal)
        .where(
            Deal.owner_id == from_owner_id,
            Deal.archived_at.is_(None),
            Deal.stage_id.in_(open_stages),
        )
        .order_by(Deal.id)
        .with_for_update()
    )
    deals = list(await session.scalars(query))
    for deal in deals:
        changes = {"owner_id": to_owner_id}
        await apply_changes(session, identity, deal, changes, today, catalogue)
    return len(deals)


async def _customers(
    session: AsyncSession,
    identity: Identity,
    table: type[Company] | type[Contact],
    announce: Callable[[Any], Envelope[Any]],
    from_owner_id: UUID,
    to_owner_id: UUID,
) -> int:
    """The person's companies or contacts (not archived) given on, each announced."""
    query = (
        select(table)
        .where(table.owner_id == from_owner_id, table.archived_at.is_(None))
        .order_by(table.id)
        .with_for_update()
    )
    records: list[Company | Contact] = list(await session.scalars(query))
    for record in records:
        if isinstance(record, Company):
            session.add(owner_entry(record, to_owner_id, identity))
        elif record.company_id is not None:
            session.add(contact_owner_entry(record, to_owner_id, identity))
        record.owner_id = to_owner_id
    await session.flush()
    await add_events(session, [announce(record) for record in records])
    return len(records)


def _company_updated(company: Company) -> Envelope[Any]:
    return new_event(CompanyUpdated(**company_snapshot(company)), subject=company.id)


def _contact_updated(contact: Contact) -> Envelope[Any]:
    return new_event(ContactUpdated(**contact_snapshot(contact)), subject=contact.id)
