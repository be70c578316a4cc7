"""A deal's documents from the knowledge base, shown on the deal's page (e.g. the offer)."""

from uuid import UUID

from fastapi import APIRouter, Request, Response

from services.gateway.web.backend import part, read
from services.gateway.web.common import PageSeller
from services.gateway.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/knowledge/deals/{deal_id}/documents")
async def deal_documents(request: Request, user: PageSeller, deal_id: UUID) -> Response:
    """The part of the deal page listing its documents; the deal page loads it by itself."""
    found = await part(
        read(request, user, "knowledge", "/api/documents", deal_id=str(deal_id)), {"items": []}
    )
    context = {"documents": found.value["items"], "missing": found.missing, "deal_id": deal_id}
    return render(request, "knowledge/_deal_documents_list.html", user, **context)
