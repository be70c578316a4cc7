"""The customer companies: the list and a company's page."""

from uuid import UUID

from fastapi import APIRouter, Request, Response

from services.gateway.web.backend import read
from services.gateway.web.common import PageSeller
from services.gateway.web.deals.timeline import readable
from services.gateway.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/companies")
async def company_list(request: Request, user: PageSeller, cursor: str | None = None) -> Response:
    page = await read(
        request, user, "deals", "/api/companies", **({"cursor": cursor} if cursor else {})
    )
    return render(request, "deals/companies.html", user, page=page)


@router.get("/companies/{company_id}")
async def company_page(request: Request, company_id: UUID, user: PageSeller) -> Response:
    company = await read(request, user, "deals", f"/api/companies/{company_id}")
    entries = await read(request, user, "deals", f"/api/companies/{company_id}/timeline")
    deals = await read(request, user, "deals", "/api/deals", company_id=str(company_id))
    currencies = {deal["id"]: deal["currency"] for deal in deals["items"]}
    timeline = await readable(request, user, entries, currencies)
    contacts = await read(request, user, "deals", "/api/contacts", company_id=str(company_id))
    context = {"company": company, "timeline": timeline, "deals": deals, "contacts": contacts}
    return render(request, "deals/company.html", user, **context)
