"""Contacts: the people at customer companies, added one by one (the API) or imported, alike."""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.deals.schemas import ContactCreate
from services.deals.tables import Company, Contact
from services.deals.usecases.companies import (
    add_company_entries,
    company_entry,
    contact_owner_entry,
)
from services.deals.usecases.customer_access import (
    customer_readers,
    visible_contact,
    visible_customers,
)
from services.deals.usecases.ownership import check_may_change, check_new_owner
from shared.auth import Identity
from shared.contracts.deals import ContactCreated, ContactUpdated
from shared.db import SessionFactory, copy_rows, unit_of_work
from shared.errors import Invalid
from shared.events import new_event
from shared.ids import time_ordered_id
from shared.outbox import add_event, add_events
from shared.text import N_
from shared.visibility import CustomerReaders

COLUMNS = (
    "id",
    "company_id",
    "name",
    "position",
    "phone",
    "email",
    "custom",
    "created_by",
    "owner_id",
)


@dataclass(frozen=True)
class ContactRecord:
    """A contact as written and announced."""

    name: str
    company_id: UUID | None
    position: str | None
    phone: str | None
    email: str | None
    owner_id: UUID | None
    id: UUID = field(default_factory=time_ordered_id)


def contact_snapshot(contact: Contact | ContactRecord) -> dict[str, Any]:
    return {
        "contact_id": contact.id,
        "company_id": contact.company_id,
        "name": contact.name,
        "position": contact.position,
        "phone": contact.phone,
        "email": contact.email,
        "owner_id": contact.owner_id,
    }


async def existing_companies(
    session: AsyncSession,
    ids: Collection[UUID | None],
    identity: Identity,
    readers: CustomerReaders | None = None,
) -> dict[UUID, bool]:
    """Which of these companies exist for `identity` (those it may not see do not), each with
    whether it is archived (one query; none for no ids)."""
    wanted = {company_id for company_id in ids if company_id is not None}
    if not wanted:
        return {}
    readers = readers or await customer_readers(session)
    found = await session.execute(
        select(Company.id, Company.archived_at.is_not(None)).where(
            Company.id.in_(wanted), visible_customers(identity, Company.owner_id, readers)
        )
    )
    return {company_id: archived for company_id, archived in found}


def check_company(existing: Mapping[UUID, bool], company_id: UUID | None) -> None:
    """A contact's company, when it names one, exists and is not archived."""
    if company_id is None:
        return
    if company_id not in existing:
        raise Invalid({"company_id": N_("no such company")})
    if existing[company_id]:
        raise Invalid({"company_id": N_("the company is archived; restore it first")})


async def insert_contacts(
    session: AsyncSession,
    contacts: Sequence[ContactRecord],
    *,
    created_by: str,
    source: str | None = None,
) -> None:
    """Add `contacts` with a `crm.contact.created.v1` each, and a line on the timeline of each
    one's company (`source`: how they came, e.g. "import")."""
    rows = [
        (c.id, c.company_id, c.name, c.position, c.phone, c.email, "{}", created_by, c.owner_id)
        for c in contacts
    ]
    await copy_rows(session, "contact", COLUMNS, rows)
    events = [new_event(ContactCreated(**contact_snapshot(c)), subject=c.id) for c in contacts]
    await add_events(session, events)
    said = {"source": source} if source else {}
    await add_company_entries(
        session,
        [
            (c.company_id, "contact_added", created_by, {"contact": c.name, **said})
            for c in contacts
            if c.company_id is not None
        ],
    )


# Many contacts changed in one statement, each to its whole new state (not their owner).
_UPDATE = text(
    "UPDATE contact SET name = new.name, company_id = new.company_id,"
    " position = new.position, phone = new.phone, updated_at = now()"
    " FROM unnest(CAST(:ids AS uuid[]), CAST(:names AS text[]), CAST(:company_ids AS uuid[]),"
    " CAST(:positions AS text[]), CAST(:phones AS text[]))"
    " AS new (id, name, company_id, position, phone)"
    " WHERE contact.id = new.id"
)


async def change_contacts(session: AsyncSession, contacts: Sequence[ContactRecord]) -> None:
    """Give existing contacts the state in `contacts` (not their e-mail, by which they were
    found) with a `crm.contact.updated.v1` each."""
    if not contacts:
        return
    values = {
        "ids": [c.id for c in contacts],
        "names": [c.name for c in contacts],
        "company_ids": [c.company_id for c in contacts],
        "positions": [c.position for c in contacts],
        "phones": [c.phone for c in contacts],
    }
    await session.execute(_UPDATE, values)
    events = [new_event(ContactUpdated(**contact_snapshot(c)), subject=c.id) for c in contacts]
    await add_events(session, events)


async def create_contact(
    sessions: SessionFactory, *, identity: Identity, contact: ContactCreate
) -> Contact:
    """Add a person at a customer (at no company, or one the caller sees), the caller's unless
    a head or an administrator names the owner."""
    record = ContactRecord(
        name=contact.name,
        company_id=contact.company_id,
        position=contact.position,
        phone=contact.phone,
        email=contact.email,
        owner_id=contact.owner_id or UUID(identity.user_id),
    )
    async with unit_of_work(sessions) as session:
        await check_new_owner(session, identity, record.owner_id)
        known = await existing_companies(session, [record.company_id], identity)
        check_company(known, record.company_id)
        await insert_contacts(session, [record], created_by=identity.user_id)
        created = await session.get(Contact, record.id)
    assert created is not None
    return created


def _moved(
    session: AsyncSession, contact: Contact, company_id: UUID | None, identity: Identity
) -> None:
    """The timelines of the company a contact leaves and the one it joins say so."""
    data = {
        "field": "contact.company_id",
        "contact": contact.name,
        "old": str(contact.company_id) if contact.company_id else None,
        "new": str(company_id) if company_id else None,
    }
    now = datetime.now(UTC)
    for one in (contact.company_id, company_id):
        if one is not None:
            session.add(company_entry(one, identity, now, data))


async def update_contact(
    sessions: SessionFactory, *, identity: Identity, contact_id: UUID, changes: dict[str, Any]
) -> Contact:
    """Change a contact's details or owner, as a company's (see `update_company`)."""
    async with unit_of_work(sessions) as session:
        contact = await visible_contact(session, identity, contact_id, lock=True)
        await check_may_change(session, identity, contact.owner_id)
        if changes.get("owner_id", contact.owner_id) != contact.owner_id:
            await check_new_owner(session, identity, changes["owner_id"])
            if contact.company_id is not None:
                session.add(contact_owner_entry(contact, changes["owner_id"], identity))
        company_id = changes.get("company_id", contact.company_id)
        if company_id != contact.company_id:
            check_company(await existing_companies(session, [company_id], identity), company_id)
            _moved(session, contact, company_id, identity)
        for name, value in changes.items():
            setattr(contact, name, value)
        await session.flush()
        await add_event(
            session, new_event(ContactUpdated(**contact_snapshot(contact)), subject=contact.id)
        )
    return contact
