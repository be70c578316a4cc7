"""Events published by the deals service."""

from uuid import UUID

from pydantic import Field

from shared.events import Contract, contract

SOURCE = "crm/deals"
COMPANY_TOPIC = "crm.deals.company"


class Address(Contract):
    street: str | None = Field(default=None, examples=["ul. Marszałkowska 1"])
    postal_code: str | None = Field(default=None, examples=["00-001"])
    city: str | None = Field(default=None, examples=["Warszawa"])
    country: str = Field(default="PL", description="ISO 3166-1 alpha-2", examples=["PL"])


@contract("crm.company.created.v1", topic=COMPANY_TOPIC, source=SOURCE)
class CompanyCreated(Contract):
    """A customer company was added; planning plans revenue per client from this."""

    company_id: UUID
    name: str = Field(examples=["Kowalski i Synowie sp. z o.o."])
    tax_id: str | None = Field(
        default=None, description="Polish NIP, 10 digits", examples=["5260250274"]
    )
    address: Address | None = None
