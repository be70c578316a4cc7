"""Customer companies."""

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.deals.tables import Company
from services.deals.usecases.ownership import check_may_change
from shared.auth import Identity
from shared.contracts.deals import Address, CompanyCreated, CompanyUpdated
from shared.db import SessionFactory, unit_of_work
from shared.errors import Conflict, NotFound
from shared.events import new_event
from shared.outbox import add_event
from shared.text import N_


async def create_company(
    sessions: SessionFactory,
    *,
    name: str,
    tax_id: str | None,
    address: Address | None,
    created_by: str,
) -> Company:
    """Add a customer company and announce it with `crm.company.created.v1`."""
    company = Company(name=name, tax_id=tax_id, created_by=created_by)
    if address is not None:
        company.street, company.postal_code = address.street, address.postal_code
        company.city, company.country = address.city, address.country
    try:
        async with unit_of_work(sessions) as session:
            session.add(company)
            await session.flush()
            created = CompanyCreated(
                company_id=company.id, name=name, tax_id=tax_id, address=address
            )
            await add_event(session, new_event(created, subject=company.id))
    except IntegrityError as error:
        if "uq_company_tax_id" in str(error.orig):
            raise await nip_taken(sessions, tax_id) from None
        raise
    return company


async def nip_taken(sessions: SessionFactory, tax_id: str | None) -> Conflict:
    """The refusal of a NIP another company has, naming that company (`ctx`: its id and name)."""
    async with sessions() as session:
        holder = await session.scalar(select(Company).where(Company.tax_id == tax_id))
    context = {"company_id": str(holder.id), "name": holder.name} if holder else {}
    return Conflict(
        {"tax_id": N_("a company with this NIP exists")},
        context={"tax_id": context} if context else None,
    )


async def update_company(
    sessions: SessionFactory, *, identity: Identity, company_id: UUID, changes: dict[str, Any]
) -> Company:
    """Change a company's details; emits `crm.company.updated.v1` with the whole snapshot."""
    try:
        async with unit_of_work(sessions) as session:
            company = await session.get(Company, company_id, with_for_update=True)
            if company is None:
                raise NotFound("company")
            await check_may_change(session, identity, company.created_by)
            address = changes.pop("address", None)
            for name, value in changes.items():
                setattr(company, name, value)
            if address is not None:
                company.street, company.postal_code = address.street, address.postal_code
                company.city, company.country = address.city, address.country
            await session.flush()
            snapshot = CompanyUpdated(
                company_id=company.id,
                name=company.name,
                tax_id=company.tax_id,
                address=company_address(company),
            )
            await add_event(session, new_event(snapshot, subject=company.id))
    except IntegrityError as error:
        if "uq_company_tax_id" in str(error.orig):
            raise await nip_taken(sessions, changes.get("tax_id")) from None
        raise
    return company


def company_address(company: Company) -> Address | None:
    if not (company.street or company.postal_code or company.city):
        return None
    return Address(
        street=company.street,
        postal_code=company.postal_code,
        city=company.city,
        country=company.country or "PL",
    )
