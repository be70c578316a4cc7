"""Events knowledge applies for the company services: departments from the gateway (names, heads,
working hours), and deals, companies and contacts from deals (what a request may refer to)."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge.service_tables import CompanyRef, ContactRef, DealRef, Department
from shared.consumer import Handler
from shared.contracts.deals import (
    CompanyArchived,
    CompanyCreated,
    CompanyRestored,
    CompanyUpdated,
    ContactArchived,
    ContactCreated,
    ContactRestored,
    ContactSnapshot,
    ContactUpdated,
    DealArchived,
    DealCreated,
    DealLost,
    DealRestored,
    DealSnapshot,
    DealStageChanged,
    DealUpdated,
    DealWon,
)
from shared.contracts.gateway import DepartmentChanged
from shared.events import Envelope
from shared.replicas import upsert_newer


async def on_department_changed(session: AsyncSession, event: Envelope[Any]) -> None:
    """A department's name, head and working hours (its requests' SLA)."""
    department: DepartmentChanged = event.data
    hours = [[day.start, day.end] if day else None for day in department.working_hours]
    values = {
        "name": department.name,
        "head_id": department.head_id,
        "working_hours": hours,
        "time_zone": department.time_zone,
        "changed_at": event.time,
    }
    await upsert_newer(session, Department, department.department_id, values)


async def on_deal_snapshot(session: AsyncSession, event: Envelope[Any]) -> None:
    """Whose a deal is: a request raised from it must come from someone who sees it."""
    deal: DealSnapshot = event.data
    values = {
        "title": deal.title,
        "company_id": deal.company_id,
        "owner_id": deal.owner_id,
        "archived": deal.archived,
        "changed_at": event.time,
    }
    await upsert_newer(session, DealRef, deal.deal_id, values)


async def on_company_snapshot(session: AsyncSession, event: Envelope[Any]) -> None:
    company: CompanyCreated | CompanyUpdated = event.data
    values = {
        "name": company.name,
        "archived": isinstance(company, CompanyArchived),
        "changed_at": event.time,
    }
    await upsert_newer(session, CompanyRef, company.company_id, values)


async def on_contact_snapshot(session: AsyncSession, event: Envelope[Any]) -> None:
    contact: ContactSnapshot = event.data
    values = {
        "name": contact.name,
        "company_id": contact.company_id,
        "archived": isinstance(contact, ContactArchived),
        "changed_at": event.time,
    }
    await upsert_newer(session, ContactRef, contact.contact_id, values)


HANDLERS: Mapping[str, Handler] = {
    DepartmentChanged.type: on_department_changed,
    **{
        contract.type: on_deal_snapshot
        for contract in (
            DealCreated,
            DealUpdated,
            DealStageChanged,
            DealWon,
            DealLost,
            DealArchived,
            DealRestored,
        )
    },
    **{
        contract.type: on_company_snapshot
        for contract in (CompanyCreated, CompanyUpdated, CompanyArchived, CompanyRestored)
    },
    **{
        contract.type: on_contact_snapshot
        for contract in (ContactCreated, ContactUpdated, ContactArchived, ContactRestored)
    },
}
