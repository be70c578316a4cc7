"""`/api/deals/search`: the deals service's part of the global search, companies, contacts
and the deals the caller sees, by the words of their names, diacritics ignored."""

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from sqlalchemy import select

from services.deals.schemas import SearchHit, SearchHits
from services.deals.tables import Company, Contact, Deal
from services.deals.usecases.customer_access import customer_readers, visible_customers
from services.deals.usecases.deals import visible_deals
from shared.auth import CurrentIdentity
from shared.db import matches_words
from shared.deps import Sessions
from shared.text import marked, matched_share, prefix_query

router = APIRouter(prefix="/api/deals", tags=["search"])
Kind = Literal["company", "contact", "deal"]


def _hit(kind: Kind, id_: UUID, title: str, snippet: str, q: str) -> SearchHit:
    urls = {"company": "/companies/", "contact": "/contacts/", "deal": "/deals/"}
    pieces = marked(title, q)
    return SearchHit.of(
        kind=kind,
        id=id_,
        url=f"{urls[kind]}{id_}",
        title=pieces,
        snippet=snippet,
        score=matched_share(pieces),
    )


@router.get("/search")
async def search(
    sessions: Sessions,
    identity: CurrentIdentity,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SearchHits:
    """Companies, contacts and deals the caller may see whose names have words starting with
    every word typed (`kowal` finds "Kowalski", `lodz` finds "Łódź"): at most `limit` of each
    kind, companies and contacts by name, deals newest first. Not ranked in the database:
    ranking every match would cost in proportion to the matches; `score` says how much of the
    name the words matched."""
    query = prefix_query(q)
    if query is None:
        return SearchHits(items=[])
    companies = (
        select(Company.id, Company.name, Company.city)
        .where(matches_words(Company.name, query), Company.archived_at.is_(None))
        .order_by(Company.name, Company.id)
        .limit(limit)
    )
    contacts = (
        select(Contact.id, Contact.name, Company.name)
        .outerjoin(Company, Company.id == Contact.company_id)
        .where(matches_words(Contact.name, query), Contact.archived_at.is_(None))
        .order_by(Contact.name, Contact.id)
        .limit(limit)
    )
    deals = (
        select(Deal.id, Deal.title, Company.name)
        .join(Company, Company.id == Deal.company_id)
        .where(
            matches_words(Deal.title, query), Deal.archived_at.is_(None), visible_deals(identity)
        )
        .order_by(Deal.created_at.desc(), Deal.id.desc())
        .limit(limit)
    )
    items: list[SearchHit] = []
    async with sessions() as session:
        readers = await customer_readers(session)
        companies = companies.where(visible_customers(identity, Company.owner_id, readers))
        contacts = contacts.where(visible_customers(identity, Contact.owner_id, readers))
        kinds: tuple[tuple[Kind, Any], ...] = (
            ("company", companies),
            ("contact", contacts),
            ("deal", deals),
        )
        for kind, statement in kinds:
            for id_, title, snippet in (await session.execute(statement)).all():
                items.append(_hit(kind, id_, title, snippet or "", q))
    return SearchHits(items=items)
