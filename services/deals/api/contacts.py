"""`/api/contacts`: people at customer companies."""

from datetime import UTC, datetime
from typing import Annotated, Any, cast
from uuid import UUID

from fastapi import APIRouter, Query, status
from sqlalchemy import ColumnElement, Select, func, or_, select

from services.deals.schemas import ContactCreate, ContactPublic, ContactUpdate
from services.deals.tables import Company, Contact
from services.deals.usecases import archiving
from services.deals.usecases import contacts as usecases
from shared.auth import CurrentIdentity
from shared.db import contains, folded
from shared.deps import Sessions
from shared.errors import NotFound
from shared.pagination import (
    Cursor,
    IncludeArchived,
    Limit,
    Page,
    UpdatedSince,
    archived_condition,
    changes,
    keyset,
    page_of,
)

router = APIRouter(prefix="/api/contacts", tags=["contacts"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_contact(
    body: ContactCreate, sessions: Sessions, identity: CurrentIdentity
) -> ContactPublic:
    contact = await usecases.create_contact(sessions, contact=body, created_by=identity.user_id)
    return ContactPublic.model_validate(contact)


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
    _: CurrentIdentity,
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
    """By name, each with its company's name; the archived ones only when asked for. With
    `updated_since`, the contacts changed since, in order of change."""
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
        rows = (await session.execute(query)).all()
    contacts = [
        ContactPublic.model_validate(contact).model_copy(update={"company_name": company_name})
        for contact, company_name in rows
    ]
    if updated_since is not None:
        return page_of(contacts, limit, key=lambda c: (c.updated_at, c.id))
    return page_of(contacts, limit, key=lambda c: (c.name, c.id))


@router.get("/{contact_id}")
async def get_contact(contact_id: UUID, sessions: Sessions, _: CurrentIdentity) -> ContactPublic:
    async with sessions() as session:
        contact = await session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("contact")
    return ContactPublic.model_validate(contact)


@router.patch("/{contact_id}")
async def update_contact(
    contact_id: UUID, body: ContactUpdate, sessions: Sessions, identity: CurrentIdentity
) -> ContactPublic:
    """Whoever added the contact, their head or an administrator changes it (else 403)."""
    contact = await usecases.update_contact(
        sessions,
        identity=identity,
        contact_id=contact_id,
        changes=body.model_dump(exclude_unset=True),
    )
    return ContactPublic.model_validate(contact)


@router.post("/{contact_id}/archive")
async def archive_contact(
    contact_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> ContactPublic:
    """Out of the lists and pickers (`crm.contact.archived.v1`); repeatable."""
    contact = await archiving.set_contact_archived(
        sessions, identity=identity, contact_id=contact_id, archive=True, now=datetime.now(UTC)
    )
    return ContactPublic.model_validate(contact)


@router.post("/{contact_id}/restore")
async def restore_contact(
    contact_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> ContactPublic:
    """Back in the lists (`crm.contact.restored.v1`); repeatable."""
    contact = await archiving.set_contact_archived(
        sessions, identity=identity, contact_id=contact_id, archive=False, now=datetime.now(UTC)
    )
    return ContactPublic.model_validate(contact)
