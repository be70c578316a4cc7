"""Deals' snapshot topics made again from the database (`crm events republish deals ...`): each
company, contact and deal as its `updated` event, an archived one as a tombstone."""

from typing import Any

from sqlalchemy import select

from services.deals.tables import Company, Contact, Deal, Stage
from services.deals.usecases.companies import company_snapshot
from services.deals.usecases.contacts import contact_snapshot
from services.deals.usecases.deal_writes import snapshot
from shared.bus import Message
from shared.contracts.deals import CompanyUpdated, ContactUpdated, DealUpdated
from shared.republish import Aggregate, each, state


def _company(row: Any) -> Message:
    (company,) = row
    data = CompanyUpdated(**company_snapshot(company))
    return state(company.id, company.updated_at, data, ended=company.archived_at is not None)


def _contact(row: Any) -> Message:
    (contact,) = row
    data = ContactUpdated(**contact_snapshot(contact))
    return state(contact.id, contact.updated_at, data, ended=contact.archived_at is not None)


def _deal(row: Any) -> Message:
    deal, kind = row
    data = DealUpdated(**snapshot(deal, kind))
    return state(deal.id, deal.updated_at, data, ended=deal.archived_at is not None)


AGGREGATES: dict[str, Aggregate] = {
    "company": Aggregate(lambda: select(Company), Company, each(_company)),
    "contact": Aggregate(lambda: select(Contact), Contact, each(_contact)),
    "deal": Aggregate(
        lambda: select(Deal, Stage.kind).join(Stage, Stage.id == Deal.stage_id), Deal, each(_deal)
    ),
}
