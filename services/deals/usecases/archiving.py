"""Archiving companies, contacts and deals instead of deleting them, and bringing them back.

An archived record keeps its history and its links; lists, the board, pickers and exports leave
it out unless asked for the archived ones. Each change is audited on the timeline and announced
(`crm.<record>.archived.v1` / `.restored.v1`) in the same transaction.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from services.deals.tables import Company, Contact, Deal, Stage
from services.deals.usecases.companies import company_entry, company_snapshot
from services.deals.usecases.contacts import contact_snapshot
from services.deals.usecases.customer_access import visible_company, visible_contact
from services.deals.usecases.deal_writes import add_to_tally, snapshot, tally_changes
from services.deals.usecases.deals import timeline_entry, visible_deal
from services.deals.usecases.ownership import check_may_change
from shared.auth import Identity
from shared.contracts.deals import (
    CompanyArchived,
    CompanyRestored,
    ContactArchived,
    ContactRestored,
    DealArchived,
    DealRestored,
)
from shared.db import SessionFactory, unit_of_work
from shared.events import new_event
from shared.outbox import add_event


def _change(archived_at: datetime | None, archive: bool, now: datetime) -> dict[str, Any] | None:
    """The audit of the change (old -> new), or None when the record already is as asked."""
    if (archived_at is not None) == archive:
        return None
    old = archived_at.isoformat() if archived_at else None
    return {"field": "archived", "old": old, "new": now.isoformat() if archive else None}


async def set_company_archived(
    sessions: SessionFactory, *, identity: Identity, company_id: UUID, archive: bool, now: datetime
) -> Company:
    """Archive (or restore) a company; asking twice changes nothing and announces nothing."""
    async with unit_of_work(sessions) as session:
        company = await visible_company(session, identity, company_id, lock=True)
        await check_may_change(session, identity, company.owner_id)
        change = _change(company.archived_at, archive, now)
        if change is None:
            return company
        company.archived_at = now if archive else None
        session.add(company_entry(company.id, identity, now, change))
        contract = CompanyArchived if archive else CompanyRestored
        data = contract(**company_snapshot(company))
        await add_event(session, new_event(data, subject=company.id))
    return company


async def set_contact_archived(
    sessions: SessionFactory, *, identity: Identity, contact_id: UUID, archive: bool, now: datetime
) -> Contact:
    """Archive (or restore) a contact; the audit lands on the company's timeline."""
    async with unit_of_work(sessions) as session:
        contact = await visible_contact(session, identity, contact_id, lock=True)
        await check_may_change(session, identity, contact.owner_id)
        change = _change(contact.archived_at, archive, now)
        if change is None:
            return contact
        contact.archived_at = now if archive else None
        if contact.company_id is not None:
            change |= {"field": "contact.archived", "contact": contact.name}
            session.add(company_entry(contact.company_id, identity, now, change))
        contract = ContactArchived if archive else ContactRestored
        data = contract(**contact_snapshot(contact))
        await add_event(session, new_event(data, subject=contact.id))
    return contact


async def set_deal_archived(
    sessions: SessionFactory, *, identity: Identity, deal_id: UUID, archive: bool, now: datetime
) -> Deal:
    """Archive (or restore) a deal one may see: out of (back into) the board and its totals."""
    async with unit_of_work(sessions) as session:
        deal = await visible_deal(session, identity, deal_id, lock=True)
        change = _change(deal.archived_at, archive, now)
        if change is None:
            return deal
        deal.archived_at = now if archive else None
        counted = ((deal.stage_id, deal.owner_id, deal.currency), deal.amount)
        await add_to_tally(session, tally_changes([(*counted, -1 if archive else +1)]))
        session.add(timeline_entry(deal, "field_changed", identity.user_id, change))
        stage = await session.get(Stage, deal.stage_id)
        assert stage is not None
        contract = DealArchived if archive else DealRestored
        await add_event(session, new_event(contract(**snapshot(deal, stage.kind)), subject=deal.id))
        await session.flush()
        await session.refresh(deal)
    return deal
