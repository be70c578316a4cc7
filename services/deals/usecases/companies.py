"""Customer companies."""

from sqlalchemy.exc import IntegrityError

from services.deals.tables import Company
from shared.contracts.deals import Address, CompanyCreated
from shared.db import SessionFactory, unit_of_work
from shared.errors import Conflict
from shared.events import new_event
from shared.outbox import add_event


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
            raise Conflict({"tax_id": "a company with this NIP exists"}) from None
        raise
    return company
