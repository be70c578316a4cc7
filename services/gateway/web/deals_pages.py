"""The deals pages: the kanban board, the move dialog that asks for what a stage needs, a deal."""

from typing import Any
from uuid import UUID

import httpx
from fastapi import APIRouter, Request, Response, status

from services.gateway.backends import ServiceUnavailable
from services.gateway.tables import User
from services.gateway.web.backend_calls import ask, read
from services.gateway.web.i18n import gettext as _
from services.gateway.web.pages import PageUser, form_fields
from services.gateway.web.rendering import complaint, render
from shared.text import N_

router = APIRouter(include_in_schema=False)

# How the move dialog asks for each built-in field a stage can require.
INPUTS = {
    "amount": ("number", N_("Amount")),
    "expected_close_date": ("date", N_("Expected close date")),
    "probability": ("number", N_("Probability")),
    "source": ("text", N_("Source")),
}


@router.get("/deals")
async def board_page(request: Request, user: PageUser, pipeline: UUID | None = None) -> Response:
    pipelines = await read(request, user, "deals", "/api/pipelines")
    chosen = next((p for p in pipelines if p["id"] == str(pipeline)), pipelines[0])
    board = await read(request, user, "deals", f"/api/pipelines/{chosen['id']}/board")
    return render(
        request, "deals/board.html", user, pipelines=pipelines, chosen=chosen, board=board
    )


def _changes(form: dict[str, str], custom_keys: set[str]) -> dict[str, Any]:
    changes: dict[str, Any] = {"stage_id": form["stage_id"]}
    custom = {key: form[key] for key in custom_keys if form.get(key)}
    if custom:
        changes["custom"] = custom
    for name in (*INPUTS, "lost_reason"):
        if form.get(name):
            changes[name] = form[name]
    return changes


@router.post("/deals/{deal_id}/move")
async def move(request: Request, deal_id: UUID, user: PageUser) -> Response:
    """Move a dropped card; when the stage needs more, answer with a dialog asking exactly for it."""
    form = await form_fields(request)
    fields = {
        f["key"]: f for f in await read(request, user, "deals", "/api/fields", record_type="deal")
    }
    if form.get("document_url"):
        document = {
            "title": form.get("document_title") or form["document_url"],
            "url": form["document_url"],
        }
        await ask(request, user, "deals", "POST", f"/api/deals/{deal_id}/documents", json=document)
    answer = await ask(
        request, user, "deals", "PATCH", f"/api/deals/{deal_id}", json=_changes(form, set(fields))
    )
    if answer.status_code == 200:
        return Response(status_code=status.HTTP_204_NO_CONTENT, headers={"HX-Trigger": "crm:moved"})
    if answer.status_code != 422:
        return Response(status_code=204, headers=complaint(_("The deal could not be moved.")))
    return await _dialog(request, user, deal_id, form, answer.json()["detail"], fields)


async def _dialog(
    request: Request,
    user: User,
    deal_id: UUID,
    form: dict[str, str],
    detail: Any,
    fields: dict[str, Any],
) -> Response:
    asks = []
    for problem in detail:
        field = str(problem["loc"][-1])
        kind, label = INPUTS.get(field, ("text", field))
        if field in fields:
            kind, label = fields[field]["type"], fields[field]["label"]
        asks.append(
            {
                "field": field,
                "kind": kind,
                "label": _(label),
                "message": problem["msg"],
                "code": problem["type"],
            }
        )
    reasons = await read(request, user, "deals", "/api/pipelines/lost-reasons")
    context = {
        "deal_id": deal_id,
        "stage_id": form["stage_id"],
        "asks": asks,
        "form": form,
        "lost_reasons": [r["name"] for r in reasons if r["active"]],
        "fields": fields,
    }
    return render(request, "deals/_move_dialog.html", user, status_code=422, **context)


@router.get("/deals/list")
async def deal_list(request: Request, user: PageUser) -> Response:
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


@router.get("/companies")
async def company_list(request: Request, user: PageUser, cursor: str | None = None) -> Response:
    page = await read(
        request, user, "deals", "/api/companies", **({"cursor": cursor} if cursor else {})
    )
    return render(request, "deals/companies.html", user, page=page)


@router.get("/companies/{company_id}")
async def company_page(request: Request, company_id: UUID, user: PageUser) -> Response:
    company = await read(request, user, "deals", f"/api/companies/{company_id}")
    timeline = await read(request, user, "deals", f"/api/companies/{company_id}/timeline")
    deals = await read(request, user, "deals", "/api/deals", company_id=str(company_id))
    contacts = await read(request, user, "deals", "/api/contacts", company_id=str(company_id))
    context = {"company": company, "timeline": timeline, "deals": deals, "contacts": contacts}
    return render(request, "deals/company.html", user, **context)


@router.get("/deals/{deal_id}")
async def deal_page(request: Request, deal_id: UUID, user: PageUser) -> Response:
    deal = await read(request, user, "deals", f"/api/deals/{deal_id}")
    timeline = await read(request, user, "deals", f"/api/deals/{deal_id}/timeline")
    company = await read(request, user, "deals", f"/api/companies/{deal['company_id']}")
    pipelines = await read(request, user, "deals", "/api/pipelines")
    stages = {s["id"]: s["name"] for p in pipelines for s in p["stages"]}
    try:
        activities = await read(request, user, "calendar", "/api/activities", deal_id=str(deal_id))
    except (ServiceUnavailable, httpx.HTTPError):  # the deal page stays useful without them
        activities = {"items": []}
    context = {
        "deal": deal,
        "timeline": timeline,
        "company": company,
        "stage_name": stages.get(deal["stage_id"], ""),
        "activities": activities["items"],
    }
    return render(request, "deals/deal.html", user, **context)
