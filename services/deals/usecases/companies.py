"""Customer companies: added one by one (the API) or by the thousand (the CSV import), alike."""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.deals.tables import Company, Contact, TimelineEntry
from services.deals.usecases.customer_access import (
    customer_readers,
    visible_company,
    visible_customers,
)
from services.deals.usecases.deal_writes import TIMELINE_COLUMNS
from services.deals.usecases.ownership import check_may_change, check_new_owner
from shared.auth import Identity
from shared.contracts.deals import Address, CompanyCreated, CompanyUpdated
from shared.db import SessionFactory, copy_rows, unit_of_work
from shared.errors import Conflict
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
    owner_id: UUID | None
    id: UUID = field(default_factory=time_ordered_id)


# Many companies in one statement; a NIP already taken (also by a concurrent import) is skipped.
_INSERT = text(
    "INSERT INTO company"
    " (id, name, tax_id, street, postal_code, city, country, created_by, owner_id)"
    " SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:names AS text[]),"
    " CAST(:tax_ids AS text[]), CAST(:streets AS text[]), CAST(:postal_codes AS text[]),"
    " CAST(:cities AS text[]), CAST(:countries AS text[]), CAST(:created_by AS text[]),"
    " CAST(:owner_ids AS uuid[]))"
    " ON CONFLICT (tax_id) DO NOTHING RETURNING id"
)


async def insert_companies(
    session: AsyncSession, companies: Sequence[NewCompany], *, source: str | None = None
) -> set[UUID]:
    """Add `companies` with a `crm.company.created.v1` each, each one's history beginning
    (`source`: how they came, e.g. "import"); the ids of those added (a company whose NIP
    another has is not)."""
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
            "owner_ids": [c.owner_id for c in companies],
        },
    )
    added = set(result.scalars())
    data = {"source": source} if source else {}
    await add_company_entries(
        session, [(c.id, "created", c.created_by, data) for c in companies if c.id in added]
    )
    await add_events(
        session,
        [
            new_event(
                CompanyCreated(
                    company_id=c.id,
                    name=c.name,
                    tax_id=c.tax_id,
                    address=c.address,
                    owner_id=c.owner_id,
                ),
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
    identity: Identity,
    name: str,
    tax_id: str | None,
    address: Address | None,
    owner_id: UUID | None,
) -> Company:
    """Add a customer company (the caller's unless a head or administrator names its owner) and
    announce it with `crm.company.created.v1`."""
    owner_id = owner_id or UUID(identity.user_id)
    company = NewCompany(
        name=name, tax_id=tax_id, address=address, created_by=identity.user_id, owner_id=owner_id
    )
    async with unit_of_work(sessions) as session:
        await check_new_owner(session, identity, owner_id)
        added = (
            await session.get(Company, company.id)
            if await insert_companies(session, [company])
            else None
        )
    if added is None:
        raise await nip_taken(sessions, tax_id, identity)
    return added


async def nip_taken(sessions: SessionFactory, tax_id: str | None, identity: Identity) -> Conflict:
    """The refusal of a NIP another company has, naming that company (`ctx`: its id and name)
    when the caller may see it."""
    async with sessions() as session:
        readers = await customer_readers(session)
        holder = await session.scalar(
            select(Company).where(
                Company.tax_id == tax_id, visible_customers(identity, Company.owner_id, readers)
            )
        )
    context = {"company_id": str(holder.id), "name": holder.name} if holder else {}
    return Conflict(
        {"tax_id": NIP_TAKEN},
        context={"tax_id": context} if context else None,
    )


async def update_company(
    sessions: SessionFactory, *, identity: Identity, company_id: UUID, changes: dict[str, Any]
) -> Company:
    """Change a company's details or owner (the owner, their heads, an administrator; another
    owner: a head or an administrator); emits `crm.company.updated.v1` with the snapshot."""
    try:
        async with unit_of_work(sessions) as session:
            company = await visible_company(session, identity, company_id, lock=True)
            await check_may_change(session, identity, company.owner_id)
            if changes.get("owner_id", company.owner_id) != company.owner_id:
                await check_new_owner(session, identity, changes["owner_id"])
                session.add(owner_entry(company, changes["owner_id"], identity))
            now = datetime.now(UTC)
            for field, old, new in _details_changed(company, changes):
                data = {"field": field, "old": old, "new": new}
                session.add(company_entry(company.id, identity, now, data))
            address = changes.pop("address", None)
            for name, value in changes.items():
                setattr(company, name, value)
            if address is not None:
                company.street, company.postal_code = address.street, address.postal_code
                company.city, company.country = address.city, address.country
            await session.flush()
            snapshot = CompanyUpdated(**company_snapshot(company))
            await add_event(session, new_event(snapshot, subject=company.id))
    except IntegrityError as error:
        if "uq_company_tax_id" in str(error.orig):
            raise await nip_taken(sessions, changes.get("tax_id"), identity) from None
        raise
    return company


def _address_line(street: Any, postal_code: Any, city: Any, country: Any) -> str | None:
    """An address as one line; None when there is none (a country alone is no address)."""
    if not (street or postal_code or city):
        return None
    town = " ".join(part for part in (postal_code, city) if part)
    return ", ".join(part for part in (street, town, country) if part)


def _details_changed(
    company: Company, changes: dict[str, Any]
) -> list[tuple[str, str | None, str | None]]:
    """The company's name, NIP and address as they change, for its history."""
    changed: list[tuple[str, str | None, str | None]] = [
        (field, getattr(company, field), changes[field])
        for field in ("name", "tax_id")
        if field in changes and changes[field] != getattr(company, field)
    ]
    if (address := changes.get("address")) is not None:
        old = _address_line(company.street, company.postal_code, company.city, company.country)
        new = _address_line(address.street, address.postal_code, address.city, address.country)
        if old != new:
            changed.append(("address", old, new))
    return changed


async def add_company_entries(
    session: AsyncSession, entries: Sequence[tuple[UUID, str, str, dict[str, Any]]]
) -> None:
    """Entries of companies' own timelines (company, kind, who, what), written at once (an
    import adds thousands)."""
    now = datetime.now(UTC)
    rows = [
        (time_ordered_id(), None, company_id, kind, actor, now, json.dumps(data))
        for company_id, kind, actor, data in entries
    ]
    await copy_rows(session, "timeline_entry", TIMELINE_COLUMNS, rows)


def company_entry(
    company_id: UUID, identity: Identity, now: datetime, data: dict[str, Any]
) -> TimelineEntry:
    """An entry of the company's own timeline (not one of its deals')."""
    return TimelineEntry(
        company_id=company_id, kind="field_changed", actor_id=identity.user_id, at=now, data=data
    )


def owner_entry(company: Company, new_owner: UUID, identity: Identity) -> TimelineEntry:
    """The company's timeline says who gave it to whom (as a deal's does)."""
    data = {"field": "owner_id", "old": str(company.owner_id), "new": str(new_owner)}
    return company_entry(company.id, identity, datetime.now(UTC), data)


def contact_owner_entry(contact: Contact, new_owner: UUID, identity: Identity) -> TimelineEntry:
    """The timeline of the contact's company says who gave the contact to whom."""
    assert contact.company_id is not None
    data = {
        "field": "contact.owner_id",
        "contact": contact.name,
        "old": str(contact.owner_id),
        "new": str(new_owner),
    }
    return company_entry(contact.company_id, identity, datetime.now(UTC), data)


def company_snapshot(company: Company) -> dict[str, Any]:
    """What every company event carries."""
    return {
        "company_id": company.id,
        "name": company.name,
        "tax_id": company.tax_id,
        "address": company_address(company),
        "owner_id": company.owner_id,
    }


def company_address(company: Company) -> Address | None:
    if not (company.street or company.postal_code or company.city):
        return None
    return Address(
        street=company.street,
        postal_code=company.postal_code,
        city=company.city,
        country=company.country or "PL",
    )
