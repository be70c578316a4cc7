"""`/api/deals/search`: the deals service's part of the global search, companies, contacts
and the deals the caller sees, by the words of their names, diacritics ignored."""

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from sqlalchemy import func, literal_column, select

from services.deals.schemas import SearchHit, SearchHits
from services.deals.tables import Company, Contact, Deal
from services.deals.usecases.customer_access import customer_readers, visible_customers
from services.deals.usecases.deals import visible_deals
from shared.auth import CurrentIdentity
from shared.db import matches_words, word_vector
from shared.deps import Sessions
from shared.text import marked, prefix_query

router = APIRouter(prefix="/api/deals", tags=["search"])
Kind = Literal["company", "contact", "deal"]


def _rank(column: Any, query: str) -> Any:
    found = func.to_tsquery(literal_column("'simple'::regconfig"), query)
    return func.ts_rank(word_vector(column), found).label("score")


def _hit(kind: Kind, id_: UUID, title: str, snippet: str, score: float, q: str) -> SearchHit:
    urls = {"company": "/companies/", "contact": "/contacts/", "deal": "/deals/"}
    return SearchHit.of(
        kind=kind,
        id=id_,
        url=f"{urls[kind]}{id_}",
        title=marked(title, q),
        snippet=snippet,
        score=score,
    )


@router.get("/search")
async def search(
    sessions: Sessions,
    identity: CurrentIdentity,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SearchHits:
    """Companies, contacts and deals the caller may see whose names have words starting with
    every word typed (`kowal` finds "Kowalski", `lodz` finds "Łódź"), each kind best first,
    at most `limit` of each."""
    query = prefix_query(q)
    if query is None:
        return SearchHits(items=[])
    companies = (
        select(Company.id, Company.name, Company.city, _rank(Company.name, query))
        .where(matches_words(Company.name, query), Company.archived_at.is_(None))
        .order_by(literal_column("score").desc(), Company.name)
        .limit(limit)
    )
    contacts = (
        select(Contact.id, Contact.name, Company.name, _rank(Contact.name, query))
        .outerjoin(Company, Company.id == Contact.company_id)
        .where(matches_words(Contact.name, query), Contact.archived_at.is_(None))
        .order_by(literal_column("score").desc(), Contact.name)
        .limit(limit)
    )
    deals = (
        select(Deal.id, Deal.title, Company.name, _rank(Deal.title, query))
        .join(Company, Company.id == Deal.company_id)
        .where(
            matches_words(Deal.title, query), Deal.archived_at.is_(None), visible_deals(identity)
        )
        .order_by(literal_column("score").desc(), Deal.created_at.desc())
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
            for id_, title, snippet, score in (await session.execute(statement)).all():
                items.append(_hit(kind, id_, title, snippet or "", score, q))
    return SearchHits(items=items)
