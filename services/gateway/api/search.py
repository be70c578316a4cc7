"""`/api/search`: the gateway's own path, asking every service's search and merging the hits."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from services.gateway.identity import CurrentUser, signed_identity
from services.gateway.usecases.search import SEARCH_TIMEOUT, search_everywhere

router = APIRouter(tags=["search"])


class SearchGroup(BaseModel):
    kind: str
    items: list[dict[str, Any]]


class SearchAnswer(BaseModel):
    items: list[dict[str, Any]] = Field(
        description="hits of every service, best first; each names its `service` and `kind`, "
        "has a `url`, a `title` and a `snippet` as fragments with the matches marked"
    )
    unavailable: list[str] = Field(description="services that did not answer in time")
    groups: list[SearchGroup] = Field(
        description="the hits by kind (companies, contacts, deals, activities, documents, ...), "
        "at most `limit` of each, each kind in its service's order"
    )


@router.get("/api/search")
async def search(
    request: Request,
    user: CurrentUser,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> SearchAnswer:
    """Search everything the caller may see: companies, contacts, deals, activities,
    documents, requests and posts, each service asked at once; diacritics are ignored."""
    results = await search_everywhere(
        request.app.state.backends,
        identity=await signed_identity(request, user),
        role=user.role,
        text=q,
        limit=limit,
        timeout=min(SEARCH_TIMEOUT, request.app.state.settings.service_timeout),
    )
    return SearchAnswer(
        items=results.items,
        unavailable=results.unavailable,
        groups=[SearchGroup(kind=kind, items=hits) for kind, hits in results.groups],
    )
