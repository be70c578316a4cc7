"""Events published by the deals service."""

from datetime import date
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.events import Contract, contract

SOURCE = "crm/deals"
COMPANY_TOPIC = "crm.deals.company"


class Address(Contract):
    street: str | None = Field(
        default=None, description="street and number", examples=["ul. Marszałkowska 1"]
    )
    postal_code: str | None = Field(default=None, description="postal code", examples=["00-001"])
    city: str | None = Field(default=None, description="town or city", examples=["Warszawa"])
    country: str = Field(default="PL", description="ISO 3166-1 alpha-2", examples=["PL"])


@contract("crm.company.created.v1", topic=COMPANY_TOPIC, source=SOURCE)
class CompanyCreated(Contract):
    """A customer company was added; planning plans revenue per client from this."""

    company_id: UUID = Field(description="the company")
    name: str = Field(description="the company's name", examples=["Kowalski i Synowie sp. z o.o."])
    tax_id: str | None = Field(
        default=None, description="Polish NIP, 10 digits", examples=["5260250274"]
    )
    address: Address | None = Field(default=None, description="where it is; null: not given")
    owner_id: UUID | None = Field(default=None, description="the account manager; null: nobody's")


CONTACT_TOPIC = "crm.deals.contact"
DEAL_TOPIC = "crm.deals.deal"


@contract("crm.company.updated.v1", topic=COMPANY_TOPIC, source=SOURCE)
class CompanyUpdated(Contract):
    """A company's details changed; the snapshot after the change."""

    company_id: UUID = Field(description="the company")
    name: str = Field(description="the company's name")
    tax_id: str | None = Field(default=None, description="Polish NIP, 10 digits")
    address: Address | None = Field(default=None, description="where it is; null: not given")
    owner_id: UUID | None = Field(default=None, description="the account manager; null: nobody's")


@contract("crm.company.archived.v1", topic=COMPANY_TOPIC, source=SOURCE)
class CompanyArchived(CompanyUpdated):
    """A company was archived: hidden from lists and pickers, its history kept. Never deleted."""


@contract("crm.company.restored.v1", topic=COMPANY_TOPIC, source=SOURCE)
class CompanyRestored(CompanyUpdated):
    """An archived company is back in the lists."""


class ContactSnapshot(Contract):
    contact_id: UUID = Field(description="the contact")
    company_id: UUID | None = Field(description="the company they work at; null: none")
    name: str = Field(description="first and last name", examples=["Jan Kowalski"])
    position: str | None = Field(
        default=None, description="their job", examples=["Dyrektor zakupów"]
    )
    phone: str | None = Field(default=None, description="as written")
    email: str | None = Field(default=None, description="their e-mail address")
    owner_id: UUID | None = Field(default=None, description="who looks after the contact")


@contract("crm.contact.created.v1", topic=CONTACT_TOPIC, source=SOURCE)
class ContactCreated(ContactSnapshot):
    """A person at a customer was added."""


@contract("crm.contact.updated.v1", topic=CONTACT_TOPIC, source=SOURCE)
class ContactUpdated(ContactSnapshot):
    """A contact's details changed."""


@contract("crm.contact.archived.v1", topic=CONTACT_TOPIC, source=SOURCE)
class ContactArchived(ContactSnapshot):
    """A contact was archived: hidden from lists and pickers, never deleted."""


@contract("crm.contact.restored.v1", topic=CONTACT_TOPIC, source=SOURCE)
class ContactRestored(ContactSnapshot):
    """An archived contact is back in the lists."""


class DealSnapshot(Contract):
    """A deal as other services need it: planning's forecast, the calendar's links."""

    deal_id: UUID = Field(description="the deal")
    title: str = Field(description="what is being sold")
    company_id: UUID = Field(description="the customer")
    owner_id: UUID = Field(description="the manager responsible")
    amount: Decimal | None = Field(description="in `currency`; null while unknown")
    currency: str = Field(description="ISO 4217 code", examples=["PLN"])
    expected_close_date: date | None = Field(description="when it should close; null: unknown")
    pipeline_id: UUID = Field(description="the pipeline the deal is in")
    stage_id: UUID = Field(description="the stage it is at")
    stage_kind: Literal["open", "won", "lost"] = Field(description="the kind of that stage")
    probability: int = Field(ge=0, le=100, description="the stage's chance of winning, in %")
    archived: bool = Field(
        default=False, description="an archived deal counts in no forecast, total or list"
    )


@contract("crm.deal.created.v1", topic=DEAL_TOPIC, source=SOURCE)
class DealCreated(DealSnapshot):
    """A deal was opened."""


@contract("crm.deal.updated.v1", topic=DEAL_TOPIC, source=SOURCE)
class DealUpdated(DealSnapshot):
    """A deal's fields changed (not its stage)."""


@contract("crm.deal.stage_changed.v1", topic=DEAL_TOPIC, source=SOURCE)
class DealStageChanged(DealSnapshot):
    """A deal entered another stage; `from_stage_id` is where it was."""

    from_stage_id: UUID = Field(description="the stage it left")


@contract("crm.deal.won.v1", topic=DEAL_TOPIC, source=SOURCE)
class DealWon(DealSnapshot):
    """A deal entered a won stage: actual revenue of `amount`, on the day it was won (the
    envelope's `time` in the company's zone), whatever its `expected_close_date` said."""

    company_name: str | None = Field(
        default=None,
        description="the customer's name when it was won, for those who announce it without "
        "having heard of the company yet; null from producers that did not say",
    )


@contract("crm.deal.lost.v1", topic=DEAL_TOPIC, source=SOURCE)
class DealLost(DealSnapshot):
    """A deal entered a lost stage."""

    lost_reason: str = Field(description="why it was lost, from the administrator's list")


@contract("crm.deal.archived.v1", topic=DEAL_TOPIC, source=SOURCE)
class DealArchived(DealSnapshot):
    """A deal was archived (`archived` is true): out of the board, the lists and the plans."""


@contract("crm.deal.restored.v1", topic=DEAL_TOPIC, source=SOURCE)
class DealRestored(DealSnapshot):
    """An archived deal is back where it stood (`archived` is false)."""


COMPANY_EVENTS = (CompanyCreated, CompanyUpdated, CompanyArchived, CompanyRestored)
CONTACT_EVENTS = (ContactCreated, ContactUpdated, ContactArchived, ContactRestored)
DEAL_EVENTS = (
    DealCreated,
    DealUpdated,
    DealStageChanged,
    DealWon,
    DealLost,
    DealArchived,
    DealRestored,
)

SETTINGS_TOPIC = "crm.deals.settings"


@contract("crm.customer_access.changed.v1", topic=SETTINGS_TOPIC, source=SOURCE)
class CustomerAccessChanged(Contract):
    """The administrator chose who reads companies and contacts (and so may link them)."""

    readers: Literal["sales", "group"] = Field(
        description="`sales`: every salesperson; `group`: the owner's group (a head: the subtree)"
    )
