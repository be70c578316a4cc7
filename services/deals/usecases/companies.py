"""Customer companies: added one by one (the API) or by the thousand (the CSV import), alike."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.deals.tables import Company
from services.deals.usecases.ownership import check_may_change
from shared.auth import Identity
from shared.contracts.deals import Address, CompanyCreated, CompanyUpdated
from shared.db import SessionFactory, unit_of_work
from shared.errors import Conflict, NotFound
from shared.events import new_event
from shared.ids import time_ordered_id
from shared.outbox import add_event, add_events
from shared.text import N_

NIP_TAKEN = N_("a company with this NIP exists")


@dataclass(frozen=True)
class NewCompany:
    """A company to add, its NIP already normalised (`CompanyCreate` checks it)."""

    name: str
    tax_id: str | None
    address: Address | None
    created_by: str
    id: UUID = field(default_factory=time_ordered_id)


# Many companies in one statement; a NIP already taken (also by a concurrent import) is skipped.
_INSERT = text(
    "INSERT INTO company (id, name, tax_id, street, postal_code, city, country, created_by)"
    " SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:names AS text[]),"
    " CAST(:tax_ids AS text[]), CAST(:streets AS text[]), CAST(:postal_codes AS text[]),"
    " CAST(:cities AS text[]), CAST(:countries AS text[]), CAST(:created_by AS text[]))"
    " ON CONFLICT (tax_id) DO NOTHING RETURNING id"
)


async def insert_companies(session: AsyncSession, companies: Sequence[NewCompany]) -> set[UUID]:
    """Add `companies` with a `crm.company.created.v1` each; the ids of those added (a company
    whose NIP another has is not)."""
    if not companies:
        return set()
    addresses = [c.address or Address() for c in companies]
    result = await session.execute(
        _INSERT,
        {
            "ids": [c.id for c in companies],
            "names": [c.name for c in companies],
            "tax_ids": [c.tax_id for c in companies],
            "streets": [a.street for a in addresses],
            "postal_codes": [a.postal_code for a in addresses],
            "cities": [a.city for a in addresses],
            "countries": [c.address.country if c.address else None for c in companies],
            "created_by": [c.created_by for c in companies],
        },
    )
    added = set(result.scalars())
    await add_events(
        session,
        [
            new_event(
                CompanyCreated(company_id=c.id, name=c.name, tax_id=c.tax_id, address=c.address),
                subject=c.id,
            )
            for c in companies
            if c.id in added
        ],
    )
    return added


async def create_company(
    sessions: SessionFactory,
    *,
    name: str,
    tax_id: str | None,
    address: Address | None,
    created_by: str,
) -> Company:
    """Add a customer company and announce it with `crm.company.created.v1`."""
    company = NewCompany(name=name, tax_id=tax_id, address=address, created_by=created_by)
    async with unit_of_work(sessions) as session:
        added = (
            await session.get(Company, company.id)
            if await insert_companies(session, [company])
            else None
        )
    if added is None:
        raise await nip_taken(sessions, tax_id)
    return added


async def nip_taken(sessions: SessionFactory, tax_id: str | None) -> Conflict:
    """The refusal of a NIP another company has, naming that company (`ctx`: its id and name)."""
    async with sessions() as session:
        holder = await session.scalar(select(Company).where(Company.tax_id == tax_id))
    context = {"company_id": str(holder.id), "name": holder.name} if holder else {}
    return Conflict(
        {"tax_id": NIP_TAKEN},
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
