"""The search page: documents matching every word in any form, matched words marked."""

from fastapi import APIRouter, Request, Response

from services.gateway.web.backend import read
from services.gateway.web.common import PageUser
from services.gateway.web.rendering import render

router = APIRouter(include_in_schema=False)
FILTERS = ("folder_id", "type", "tag", "updated_from", "updated_to", "cursor")


@router.get("/knowledge/search")
async def search_page(request: Request, user: PageUser, q: str = "") -> Response:
    filters = {k: v for k, v in request.query_params.items() if k in FILTERS and v}
    results = None
    if q.strip():
        results = await read(
            request, user, "knowledge", "/api/documents/search", q=q[:200], **filters
        )
    folders = await read(request, user, "knowledge", "/api/folders")
    context = {"q": q, "results": results, "filters": filters, "folders": folders}
    return render(request, "knowledge/search.html", user, **context)
