"""Deals, companies and contacts for service tests, announced the way deals announces them."""

from collections.abc import Awaitable, Callable
from uuid import UUID, uuid4

from shared.bus import Message
from shared.contracts.deals import (
    CompanyCreated,
    ContactCreated,
    CustomerAccessChanged,
    DealCreated,
)
from shared.testing.people import as_message


def company_created(owner: UUID | str | None, name: str = "Kowalski sp. z o.o.") -> Message:
    company_id = uuid4()
    owner_id = UUID(str(owner)) if owner else None
    return as_message(
        CompanyCreated(company_id=company_id, name=name, owner_id=owner_id), company_id
    )


def contact_created(owner: UUID | str | None, company_id: UUID | None = None) -> Message:
    contact_id = uuid4()
    snapshot = ContactCreated(
        contact_id=contact_id,
        company_id=company_id,
        name="Jan Kowalski",
        owner_id=UUID(str(owner)) if owner else None,
    )
    return as_message(snapshot, contact_id)


def deal_created(owner: UUID | str, company_id: UUID | None = None) -> Message:
    deal_id = uuid4()
    snapshot = DealCreated(
        deal_id=deal_id,
        title="Linia pakująca",
        company_id=company_id or uuid4(),
        owner_id=UUID(str(owner)),
        amount=None,
        currency="PLN",
        expected_close_date=None,
        pipeline_id=uuid4(),
        stage_id=uuid4(),
        stage_kind="open",
        probability=10,
    )
    return as_message(snapshot, deal_id)


def customer_access_changed(readers: str) -> Message:
    return as_message(CustomerAccessChanged(readers=readers), "customer-access")


# Publishes what deals would (a deal, a company, a contact); answers the id of the record.
Announce = Callable[[Message], Awaitable[str]]
