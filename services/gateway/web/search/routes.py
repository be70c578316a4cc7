"""The search box in the top bar (hits as you type, grouped by kind) and the page of all hits."""

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from services.gateway.identity import signed_identity
from services.gateway.tables import User
from services.gateway.usecases.search import SEARCH_TIMEOUT, Results, search_everywhere
from services.gateway.web.backend import service_label
from services.gateway.web.common import PageUser
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import fragment, render

router = APIRouter(include_in_schema=False)


def group_label(kind: str) -> str:
    labels = {
        "company": _("Companies"),
        "contact": _("Contacts"),
        "deal": _("Deals"),
        "activity": _("Activities"),
        "document": _("Documents"),
        "post": _("Posts"),
        "request": _("Requests"),
    }
    return labels.get(kind, kind)


async def _search(request: Request, user: User, q: str, each: int) -> Results:
    return await search_everywhere(
        request.app.state.backends,
        identity=await signed_identity(request, user),
        role=user.role,
        text=q[:200],
        limit=each,
        timeout=min(SEARCH_TIMEOUT, request.app.state.settings.service_timeout),
    )


def _context(q: str, results: Results | None) -> dict[str, Any]:
    return {
        "q": q,
        "groups": [(group_label(kind), hits) for kind, hits in results.groups] if results else [],
        "unavailable": [service_label(s) for s in results.unavailable] if results else [],
    }


@router.get("/search/quick")
async def quick(request: Request, user: PageUser, q: str = "") -> Response:
    """The hits under the search box: a few of each kind."""
    if not q.strip():
        return HTMLResponse("")
    results = await _search(request, user, q, 5)
    return HTMLResponse(fragment(request, "search/_hits.html", user, **_context(q, results)))


@router.get("/search")
async def search_page(request: Request, user: PageUser, q: str = "") -> Response:
    """Every kind's hits on a page of their own (Enter in the box without a chosen hit)."""
    results = await _search(request, user, q, 20) if q.strip() else None
    return render(request, "search/search.html", user, **_context(q, results))
