"""Contacts: the people at customer companies."""

from typing import Any
from uuid import UUID

from services.deals.tables import Company, Contact
from shared.contracts.deals import ContactCreated, ContactUpdated
from shared.db import SessionFactory, unit_of_work
from shared.errors import Invalid, NotFound
from shared.events import new_event
from shared.outbox import add_event
from shared.text import N_


def _snapshot(contact: Contact) -> dict[str, Any]:
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
        if fields.get("company_id") and await session.get(Company, fields["company_id"]) is None:
            raise Invalid({"company_id": N_("no such company")})
        contact = Contact(**fields, created_by=created_by)
        session.add(contact)
        await session.flush()
        await add_event(
            session, new_event(ContactCreated(**_snapshot(contact)), subject=contact.id)
        )
    return contact


async def update_contact(
    sessions: SessionFactory, *, contact_id: UUID, changes: dict[str, Any]
) -> Contact:
    async with unit_of_work(sessions) as session:
        contact = await session.get(Contact, contact_id, with_for_update=True)
        if contact is None:
            raise NotFound("contact")
        if changes.get("company_id") and await session.get(Company, changes["company_id"]) is None:
            raise Invalid({"company_id": N_("no such company")})
        for name, value in changes.items():
            setattr(contact, name, value)
        await session.flush()
        await add_event(
            session, new_event(ContactUpdated(**_snapshot(contact)), subject=contact.id)
        )
    return contact
