"""Requests in other pages: a deal's (and a company's) requests on its page, and the desk's
card of open requests (the queue, for the staff of a department)."""

from uuid import UUID

from fastapi import APIRouter, Request, Response

from services.gateway.web.backend import part, read
from services.gateway.web.common import PageSeller, PageUser
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


@router.get("/requests/desk")
async def desk_requests(request: Request, user: PageUser) -> Response:
    """The desk's card: the department's open queue for its staff, else one's open requests."""
    queue = user.role == "staff" and user.department_id is not None
    query = {"department": str(user.department_id), "sort": "due_at"} if queue else {"mine": "true"}
    reading = read(request, user, "knowledge", "/api/requests", status=OPEN, limit=10, **query)
    found = await part(reading, {"items": []})
    context = {"requests": found.value["items"], "missing": found.missing, "queue": queue}
    return render(request, "services/_desk_requests.html", user, **context)
