"""`/api/contacts`: people at customer companies."""

from uuid import UUID

from fastapi import APIRouter, status
from sqlalchemy import select

from services.deals.schemas import ContactCreate, ContactPublic, ContactUpdate
from services.deals.tables import Contact
from services.deals.usecases import contacts as usecases
from shared.auth import CurrentIdentity
from shared.deps import Sessions
from shared.errors import NotFound
from shared.pagination import Cursor, Limit, Page, keyset, page_of

router = APIRouter(prefix="/api/contacts", tags=["contacts"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_contact(
    body: ContactCreate, sessions: Sessions, identity: CurrentIdentity
) -> ContactPublic:
    contact = await usecases.create_contact(sessions, contact=body, created_by=identity.user_id)
    return ContactPublic.model_validate(contact)


@router.get("")
async def list_contacts(
    sessions: Sessions,
    _: CurrentIdentity,
    company_id: UUID | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ContactPublic]:
    query = select(Contact)
    if company_id is not None:
        query = query.where(Contact.company_id == company_id)
    query = keyset(query, (Contact.name, Contact.id), cursor=cursor, types=(str, UUID), limit=limit)
    async with sessions() as session:
        rows = (await session.scalars(query)).all()
    return page_of(
        [ContactPublic.model_validate(row) for row in rows], limit, key=lambda c: (c.name, c.id)
    )


@router.get("/{contact_id}")
async def get_contact(contact_id: UUID, sessions: Sessions, _: CurrentIdentity) -> ContactPublic:
    async with sessions() as session:
        contact = await session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("contact")
    return ContactPublic.model_validate(contact)


@router.patch("/{contact_id}")
async def update_contact(
    contact_id: UUID, body: ContactUpdate, sessions: Sessions, _: CurrentIdentity
) -> ContactPublic:
    contact = await usecases.update_contact(
        sessions, contact_id=contact_id, changes=body.model_dump(exclude_unset=True)
    )
    return ContactPublic.model_validate(contact)
