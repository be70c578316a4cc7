"""Contacts: the people at customer companies."""

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.deals.tables import Company, Contact
from services.deals.usecases.ownership import check_may_change
from shared.auth import Identity
from shared.contracts.deals import ContactCreated, ContactUpdated
from shared.db import SessionFactory, unit_of_work
from shared.errors import Invalid, NotFound
from shared.events import new_event
from shared.outbox import add_event
from shared.text import N_


def contact_snapshot(contact: Contact) -> dict[str, Any]:
    return {
        "contact_id": contact.id,
        "company_id": contact.company_id,
        "name": contact.name,
        "position": contact.position,
        "phone": contact.phone,
        "email": contact.email,
    }


async def create_contact(
    sessions: SessionFactory, *, fields: dict[str, Any], created_by: str
) -> Contact:
    async with unit_of_work(sessions) as session:
        await _check_company(session, fields.get("company_id"))
        contact = Contact(**fields, created_by=created_by)
        session.add(contact)
        await session.flush()
        await add_event(
            session, new_event(ContactCreated(**contact_snapshot(contact)), subject=contact.id)
        )
    return contact


async def update_contact(
    sessions: SessionFactory, *, identity: Identity, contact_id: UUID, changes: dict[str, Any]
) -> Contact:
    async with unit_of_work(sessions) as session:
        contact = await session.get(Contact, contact_id, with_for_update=True)
        if contact is None:
            raise NotFound("contact")
        await check_may_change(session, identity, contact.created_by)
        if changes.get("company_id") != contact.company_id:
            await _check_company(session, changes.get("company_id"))
        for name, value in changes.items():
            setattr(contact, name, value)
        await session.flush()
        await add_event(
            session, new_event(ContactUpdated(**contact_snapshot(contact)), subject=contact.id)
        )
    return contact


async def _check_company(session: AsyncSession, company_id: UUID | None) -> None:
    """A contact joins an existing company that is not archived (or none)."""
    if company_id is None:
        return
    company = await session.get(Company, company_id)
    if company is None:
        raise Invalid({"company_id": N_("no such company")})
    if company.archived_at is not None:
        raise Invalid({"company_id": N_("the company is archived; restore it first")})
