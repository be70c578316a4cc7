"""Requests in other pages: a deal's (and a company's) requests on its page (the desk's
widgets of requests are the desk's own: `usecases/widgets.py`)."""

from uuid import UUID

from fastapi import APIRouter, Request, Response

from services.gateway.web.backend import part, read
from services.gateway.web.common import PageSeller
from services.gateway.web.rendering import render

router = APIRouter(include_in_schema=False)
OPEN = ["submitted", "accepted", "returned"]


@router.get("/requests/deals/{deal_id}")
async def deal_requests(request: Request, user: PageSeller, deal_id: UUID) -> Response:
    """The part of a deal's page listing the requests raised from it."""
    reading = read(request, user, "knowledge", "/api/requests", deal_id=str(deal_id), limit=50)
    found = await part(reading, {"items": []})
    context = {"requests": found.value["items"], "missing": found.missing}
    return render(request, "services/_record_requests.html", user, **context)


@router.get("/requests/companies/{company_id}")
async def company_requests(request: Request, user: PageSeller, company_id: UUID) -> Response:
    """The part of a company's page listing the requests raised for it."""
    reading = read(
        request, user, "knowledge", "/api/requests", company_id=str(company_id), limit=50
    )
    found = await part(reading, {"items": []})
    context = {"requests": found.value["items"], "missing": found.missing}
    return render(request, "services/_record_requests.html", user, **context)
