"""Events the feed applies: deals, companies and contacts into the replica of records (who may
see a deal a post is on), and the events that make automatic posts."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge.feed_tables import Record
from services.knowledge.usecases import automatic
from shared.consumer import Handler
from shared.contracts.deals import (
    CompanyArchived,
    CompanyCreated,
    CompanyRestored,
    CompanyUpdated,
    ContactArchived,
    ContactCreated,
    ContactRestored,
    ContactUpdated,
    DealArchived,
    DealCreated,
    DealLost,
    DealRestored,
    DealStageChanged,
    DealUpdated,
    DealWon,
)
from shared.contracts.knowledge import DocumentCreated, DocumentVersioned
from shared.contracts.planning import PlanReviewed
from shared.events import REGISTRY, Envelope
from shared.replicas import upsert_newer

# The company-services feature announces deliveries with this type; the feed posts them when
# the contract is known in this build.
REQUEST_DELIVERED = "crm.request.delivered.v1"


async def on_deal(session: AsyncSession, event: Envelope[Any]) -> None:
    """A deal's owner decides who may see the posts on it."""
    deal = event.data
    values = {
        "kind": "deal",
        "name": deal.title,
        "owner_id": deal.owner_id,
        "company_id": deal.company_id,
        "archived": deal.archived,
        "changed_at": event.time,
    }
    await upsert_newer(session, Record, deal.deal_id, values)


async def on_company(session: AsyncSession, event: Envelope[Any]) -> None:
    company = event.data
    values = {
        "kind": "company",
        "name": company.name,
        "owner_id": None,
        "company_id": company.company_id,
        "archived": event.type == CompanyArchived.type,
        "changed_at": event.time,
    }
    await upsert_newer(session, Record, company.company_id, values)


async def on_contact(session: AsyncSession, event: Envelope[Any]) -> None:
    contact = event.data
    values = {
        "kind": "contact",
        "name": contact.name,
        "owner_id": None,
        "company_id": contact.company_id,
        "archived": event.type == ContactArchived.type,
        "changed_at": event.time,
    }
    await upsert_newer(session, Record, contact.contact_id, values)


class AutomaticPosts:
    """The handlers that post, in the company's language, at the time of their event."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    async def deal_won(self, session: AsyncSession, event: Envelope[Any]) -> None:
        await on_deal(session, event)
        await automatic.post_deal_won(session, deal=event.data, locale=self.locale, now=event.time)

    async def plan_reviewed(self, session: AsyncSession, event: Envelope[Any]) -> None:
        await automatic.post_plan_reviewed(
            session, line=event.data, locale=self.locale, now=event.time
        )

    async def request_delivered(self, session: AsyncSession, event: Envelope[Any]) -> None:
        await automatic.post_request_delivered(
            session, request=event.data, locale=self.locale, now=event.time
        )

    async def document_created(self, session: AsyncSession, event: Envelope[Any]) -> None:
        document = event.data
        await automatic.post_document_added(
            session, document=document, author=document.owner_id, locale=self.locale, now=event.time
        )

    async def document_versioned(self, session: AsyncSession, event: Envelope[Any]) -> None:
        document = event.data
        await automatic.post_document_added(
            session,
            document=document,
            author=document.author_id,
            locale=self.locale,
            now=event.time,
        )


def feed_handlers(locale: str) -> Mapping[str, Handler]:
    """Every event the feed applies, automatic posts written in `locale`."""
    posts = AutomaticPosts(locale)
    handlers: dict[str, Handler] = {
        **dict.fromkeys(
            (
                DealCreated.type,
                DealUpdated.type,
                DealStageChanged.type,
                DealLost.type,
                DealArchived.type,
                DealRestored.type,
            ),
            on_deal,
        ),
        **dict.fromkeys(
            (CompanyCreated.type, CompanyUpdated.type, CompanyArchived.type, CompanyRestored.type),
            on_company,
        ),
        **dict.fromkeys(
            (ContactCreated.type, ContactUpdated.type, ContactArchived.type, ContactRestored.type),
            on_contact,
        ),
        DealWon.type: posts.deal_won,
        PlanReviewed.type: posts.plan_reviewed,
        DocumentCreated.type: posts.document_created,
        DocumentVersioned.type: posts.document_versioned,
    }
    if REQUEST_DELIVERED in REGISTRY:
        handlers[REQUEST_DELIVERED] = posts.request_delivered
    return handlers
