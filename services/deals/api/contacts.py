"""`/api/contacts`: people at customer companies."""

from datetime import UTC, datetime
from typing import Annotated, Any, cast
from uuid import UUID

from fastapi import APIRouter, Query, status
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.deals.schemas import ContactCreate, ContactPublic, ContactUpdate
from services.deals.tables import Company, Contact
from services.deals.usecases import archiving
from services.deals.usecases import contacts as usecases
from services.deals.usecases.customer_access import (
    customer_readers,
    visible_contact,
    visible_customers,
)
from shared.auth import CurrentIdentity
from shared.db import contains, folded
from shared.deps import Sessions
from shared.pagination import (
    Cursor,
    IncludeArchived,
    Limit,
    Page,
    UpdatedSince,
    archived_condition,
    changes,
    changes_page,
    keyset,
    page_of,
)

router = APIRouter(prefix="/api/contacts", tags=["contacts"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_contact(
    body: ContactCreate, sessions: Sessions, identity: CurrentIdentity
) -> ContactPublic:
    """A new contact, the caller's unless a head or an administrator names its owner."""
    contact = await usecases.create_contact(sessions, identity=identity, contact=body)
    return await _written(sessions, contact)


def _search(q: str) -> ColumnElement[bool]:
    """Name or e-mail (any diacritics, any case), or phone by its digits whatever the spacing."""
    found = [folded(Contact.name).like(contains(q)), folded(Contact.email).like(contains(q))]
    digits = "".join(c for c in q if c.isdigit())
    if len(digits) >= 3:
        phone_digits = func.regexp_replace(Contact.phone, "[^0-9]", "", "g")
        found.append(phone_digits.contains(digits))
    return or_(*found)


@router.get("")
async def list_contacts(
    sessions: Sessions,
    identity: CurrentIdentity,
    company_id: UUID | None = None,
    q: Annotated[
        str | None, Query(max_length=100, description="part of the name, e-mail or phone")
    ] = None,
    archived: Annotated[bool, Query(description="true: only the archived ones")] = False,
    updated_since: UpdatedSince = None,
    include_archived: IncludeArchived = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ContactPublic]:
    """The contacts the caller may see, by name, each with its company's name; the archived ones
    only when asked for. With `updated_since`, those changed since, in order of change."""
    named = select(Contact, Company.name).outerjoin(Company, Company.id == Contact.company_id)
    query = cast("Select[Any]", named).where(
        archived_condition(
            Contact.archived_at, archived=archived, include_archived=include_archived
        )
    )
    if company_id is not None:
        query = query.where(Contact.company_id == company_id)
    if q and q.strip():
        query = query.where(_search(q.strip()))
    if updated_since is not None:
        query = changes(
            query, Contact.updated_at, Contact.id, since=updated_since, cursor=cursor, limit=limit
        )
    else:
        query = keyset(
            query, (Contact.name, Contact.id), cursor=cursor, types=(str, UUID), limit=limit
        )
    async with sessions() as session:
        readers = await customer_readers(session)
        query = query.where(visible_customers(identity, Contact.owner_id, readers))
        rows = (await session.execute(query)).all()
    contacts = [
        ContactPublic.model_validate(contact).model_copy(update={"company_name": company_name})
        for contact, company_name in rows
    ]
    if updated_since is not None:
        return changes_page(contacts, limit)
    return page_of(contacts, limit, key=lambda c: (c.name, c.id))


@router.get("/{contact_id}")
async def get_contact(
    contact_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> ContactPublic:
    """A contact the caller may see (404 otherwise, as a missing one)."""
    async with sessions() as session:
        contact = await visible_contact(session, identity, contact_id)
        return await _public(session, contact)


@router.patch("/{contact_id}")
async def update_contact(
    contact_id: UUID, body: ContactUpdate, sessions: Sessions, identity: CurrentIdentity
) -> ContactPublic:
    """The owner, their heads or an administrator changes it (else 403); only heads and
    administrators give it another owner."""
    contact = await usecases.update_contact(
        sessions,
        identity=identity,
        contact_id=contact_id,
        changes=body.model_dump(exclude_unset=True),
    )
    return await _written(sessions, contact)


@router.post("/{contact_id}/archive")
async def archive_contact(
    contact_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> ContactPublic:
    """Out of the lists and pickers (`crm.contact.archived.v1`); repeatable."""
    contact = await archiving.set_contact_archived(
        sessions, identity=identity, contact_id=contact_id, archive=True, now=datetime.now(UTC)
    )
    return await _written(sessions, contact)


@router.post("/{contact_id}/restore")
async def restore_contact(
    contact_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> ContactPublic:
    """Back in the lists (`crm.contact.restored.v1`); repeatable."""
    contact = await archiving.set_contact_archived(
        sessions, identity=identity, contact_id=contact_id, archive=False, now=datetime.now(UTC)
    )
    return await _written(sessions, contact)


async def _public(session: AsyncSession, contact: Contact) -> ContactPublic:
    """A contact as the lists show it: with its company's name (as it is now)."""
    name = None
    if contact.company_id is not None:
        name = await session.scalar(select(Company.name).where(Company.id == contact.company_id))
    return ContactPublic.model_validate(contact).model_copy(update={"company_name": name})


async def _written(sessions: Sessions, contact: Contact) -> ContactPublic:
    """A contact just written, as `_public` shows it."""
    async with sessions() as session:
        return await _public(session, contact)
