"""`/api/requests/search`: knowledge's part of the global search over requests to departments,
those the caller sees, by the words of the service, the deal or the company they are about."""

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import or_, select

from services.knowledge.schemas import Fragment
from services.knowledge.service_tables import (
    CompanyRef,
    DealRef,
    Department,
    Service,
    ServiceRequest,
)
from services.knowledge.usecases.request_access import visible_requests
from shared.auth import CurrentIdentity
from shared.db import matches_words
from shared.deps import Sessions
from shared.text import marked, matched_share, prefix_query

router = APIRouter(prefix="/api/requests", tags=["search"])


class RequestHit(BaseModel):
    kind: Literal["request"] = "request"
    id: UUID
    url: str = Field(description="the request's page in the CRM")
    title: list[Fragment] = Field(description="the service, matched words marked")
    snippet: list[Fragment] = Field(description="the department, the deal or company, marked")
    score: float
    status: str


class RequestHits(BaseModel):
    items: list[RequestHit]


def _fragments(pieces: list[tuple[str, bool]]) -> list[Fragment]:
    return [Fragment(text=text, match=match) for text, match in pieces]


@router.get("/search")
async def search_requests(
    sessions: Sessions,
    identity: CurrentIdentity,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> RequestHits:
    """Requests the caller sees whose service, deal or company has words starting with every
    word typed, diacritics ignored; the newest first."""
    query = prefix_query(q)
    if query is None:
        return RequestHits(items=[])
    statement = (
        select(ServiceRequest, Service.name, Department.name, DealRef.title, CompanyRef.name)
        .join(Service, Service.id == ServiceRequest.service_id)
        .outerjoin(Department, Department.id == ServiceRequest.department_id)
        .outerjoin(DealRef, DealRef.id == ServiceRequest.deal_id)
        .outerjoin(CompanyRef, CompanyRef.id == ServiceRequest.company_id)
        .where(
            visible_requests(identity),
            or_(
                matches_words(Service.name, query),
                matches_words(DealRef.title, query),
                matches_words(CompanyRef.name, query),
            ),
        )
        .order_by(ServiceRequest.submitted_at.desc(), ServiceRequest.id.desc())
        .limit(limit)
    )
    async with sessions() as session:
        rows = (await session.execute(statement)).all()
    items = []
    for request, service, department, deal, company in rows:
        about = " · ".join(part for part in (department, deal or company) if part)
        title = marked(service, q)
        items.append(
            RequestHit(
                id=request.id,
                url=f"/requests/{request.id}",
                title=_fragments(title),
                snippet=_fragments(marked(about, q)),
                score=matched_share(title),
                status=request.status,
            )
        )
    return RequestHits(items=items)
