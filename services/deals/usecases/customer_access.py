"""Who reads companies and contacts: every salesperson (the default) or the owner's group, as the
administrator chose; the same rule for one record, for lists and for what a deal may name."""

from typing import Any, cast
from uuid import UUID

from sqlalchemy import ColumnElement, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.deals.tables import Company, Contact, CustomerSettings, Member
from shared.auth import Identity
from shared.contracts.deals import CustomerAccessChanged
from shared.db import SessionFactory, unit_of_work
from shared.errors import Forbidden, NotFound
from shared.events import new_event
from shared.outbox import add_event
from shared.visibility import CustomerReaders, customers_visible_to

SUBJECT = "customer-access"  # the one aggregate the setting is


async def customer_readers(session: AsyncSession) -> CustomerReaders:
    readers = await session.scalar(select(CustomerSettings.readers).where(CustomerSettings.id == 1))
    return cast(CustomerReaders, readers or "sales")


async def set_customer_readers(
    sessions: SessionFactory, *, identity: Identity, readers: CustomerReaders
) -> CustomerReaders:
    """The administrator's choice, announced (`crm.customer_access.changed.v1`) when it changes."""
    if identity.role != "admin":
        raise Forbidden("only an administrator chooses who reads customers")
    async with unit_of_work(sessions) as session:
        if await customer_readers(session) == readers:
            return readers
        await session.execute(
            insert(CustomerSettings)
            .values(id=1, readers=readers)
            .on_conflict_do_update(index_elements=[CustomerSettings.id], set_={"readers": readers})
        )
        event = new_event(CustomerAccessChanged(readers=readers), subject=SUBJECT)
        await add_event(session, event)
    return readers


def _people_in(teams: list[UUID]) -> Any:
    return select(Member.id).where(Member.team_id.in_(teams))


def visible_customers(
    identity: Identity, owner: Any, readers: CustomerReaders
) -> ColumnElement[bool]:
    """Companies or contacts (by their `owner` column) `identity` may see."""
    return customers_visible_to(identity, owner, _people_in, readers)


async def visible_company(
    session: AsyncSession, identity: Identity, company_id: UUID, *, lock: bool = False
) -> Company:
    """The company, when the caller may see it (404 otherwise, as a missing one)."""
    readers = await customer_readers(session)
    query = select(Company).where(
        Company.id == company_id, visible_customers(identity, Company.owner_id, readers)
    )
    company = await session.scalar(query.with_for_update() if lock else query)
    if company is None:
        raise NotFound("company")
    return company


async def visible_contact(
    session: AsyncSession, identity: Identity, contact_id: UUID, *, lock: bool = False
) -> Contact:
    readers = await customer_readers(session)
    query = select(Contact).where(
        Contact.id == contact_id, visible_customers(identity, Contact.owner_id, readers)
    )
    contact = await session.scalar(query.with_for_update() if lock else query)
    if contact is None:
        raise NotFound("contact")
    return contact
