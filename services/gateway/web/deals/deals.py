"""The deals in a table, and a deal's own page."""

from uuid import UUID

from fastapi import APIRouter, Request, Response

from services.gateway.web.backend import part, read
from services.gateway.web.common import PageSeller
from services.gateway.web.deals.timeline import readable
from services.gateway.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/deals/list")
async def deal_list(request: Request, user: PageSeller) -> Response:
    """Deals in a table, filtered by stage, amount and close date, a page at a time."""
    query = {
        key: value for key, value in request.query_params.items() if value and key in LIST_FILTERS
    }
    page = await read(request, user, "deals", "/api/deals", **query)
    pipelines = await read(request, user, "deals", "/api/pipelines")
    stages = {s["id"]: s["name"] for p in pipelines for s in p["stages"]}
    context = {"page": page, "stages": stages, "filters": query}
    template = "deals/_rows.html" if request.headers.get("HX-Request") else "deals/list.html"
    return render(request, template, user, **context)


LIST_FILTERS = ("stage_id", "amount_min", "amount_max", "close_from", "close_to", "sort", "cursor")


@router.get("/deals/{deal_id}")
async def deal_page(request: Request, deal_id: UUID, user: PageSeller) -> Response:
    deal = await read(request, user, "deals", f"/api/deals/{deal_id}")
    entries = await read(request, user, "deals", f"/api/deals/{deal_id}/timeline")
    timeline = await readable(request, user, entries, {deal["id"]: deal["currency"]})
    company = await read(request, user, "deals", f"/api/companies/{deal['company_id']}")
    pipelines = await read(request, user, "deals", "/api/pipelines")
    stages = {s["id"]: s["name"] for p in pipelines for s in p["stages"]}
    # The deal page stays useful when the calendar does not answer.
    activities = await part(
        read(request, user, "calendar", "/api/activities", deal_id=str(deal_id)), {"items": []}
    )
    context = {
        "deal": deal,
        "timeline": timeline,
        "company": company,
        "stage_name": stages.get(deal["stage_id"], ""),
        "activities": activities.value["items"],
        "activities_missing": activities.missing,
    }
    return render(request, "deals/deal.html", user, **context)
