"""The deals in a table, a deal's page and its edit page, quick add, documents, archiving."""

import asyncio
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response, status

from services.gateway.tables import User
from services.gateway.web.backend import ask, part, problems, read
from services.gateway.web.common import PageSeller, in_its_page, redirect
from services.gateway.web.deals import forms
from services.gateway.web.deals.archiving import set_archived
from services.gateway.web.deals.choices import company_choices, deal_choices
from services.gateway.web.deals.people import name_of, owner_choices
from services.gateway.web.deals.timeline import readable, with_notes
from services.gateway.web.feed.records import post_lines
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


LIST_FILTERS = (
    "stage_id",
    "amount_min",
    "amount_max",
    "close_from",
    "close_to",
    "sort",
    "cursor",
    "archived",
)


# --- quick add ---------------------------------------------------------------------------------


def _stage(pipelines: list[Any], stage_id: str | None) -> dict[str, Any]:
    """The stage a new deal opens in: the one asked for, else the default pipeline's first."""
    stages = [s for p in pipelines for s in p["stages"]]
    return next((s for s in stages if s["id"] == stage_id), pipelines[0]["stages"][0])


async def _quick_context(
    request: Request, user: User, form: dict[str, Any], found: dict[str, str]
) -> dict[str, Any]:
    """What the quick-add form shows: the deal's basics and whatever its stage requires."""
    pipelines = await read(request, user, "deals", "/api/pipelines")
    stage = _stage(pipelines, form.get("stage_id"))
    fields = await read(request, user, "deals", "/api/fields", record_type="deal")
    required = [f for f in fields if f["key"] in stage["required_fields"]]
    reasons: list[Any] = []
    if stage["kind"] == "lost":
        reasons = await read(request, user, "deals", "/api/pipelines/lost-reasons")
    company_id = form.get("company_id") or ""
    choices = await company_choices(request, user, chosen=company_id)
    contacts = await _contacts_of(request, user, company_id) if company_id else []
    return {
        "stage": stage,
        "custom_fields": required,
        "lost_reasons": [r["name"] for r in reasons if r["active"]],
        "choices": choices,
        "company_id": company_id,
        "contacts": contacts,
        "chosen_contacts": form.get("contact_ids", []),
        "currencies": forms.CURRENCIES,
        "form": form,
        "problems": found,
    }


async def _contacts_of(request: Request, user: User, company_id: str) -> list[Any]:
    found = await read(request, user, "deals", "/api/contacts", company_id=company_id, limit=200)
    return found["items"]  # type: ignore[no-any-return]


@router.get("/deals/new")
async def new_deal(
    request: Request,
    user: PageSeller,
    stage_id: UUID | None = None,
    company_id: UUID | None = None,
    back: str = "",
) -> Response:
    """The quick-add form (a dialog) for a deal in a stage of the board, or for a company."""
    if elsewhere := in_its_page(request, "/deals"):
        return elsewhere
    form = {
        "stage_id": str(stage_id) if stage_id else "",
        "company_id": str(company_id) if company_id else "",
        "back": "board" if back == "board" else "",
        "currency": "PLN",
    }
    context = await _quick_context(request, user, form, {})
    return render(request, "deals/_quick_add.html", user, **context)


@router.post("/deals")
async def create_deal(request: Request, user: PageSeller) -> Response:
    """Open the deal in the chosen stage; whatever the stage needs is asked for in the form."""
    form = await request.form()
    fields = await read(request, user, "deals", "/api/fields", record_type="deal")
    shown = [f for f in fields if f"custom.{f['key']}" in form]
    body = forms.with_document(forms.deal_body(form, shown, owner=False), form)
    body["stage_id"] = forms.text(form, "stage_id") or None
    answer = await ask(request, user, "deals", "POST", "/api/deals", json=body)
    if answer.status_code == 201:
        if form.get("back") == "board":
            return Response(
                status_code=status.HTTP_204_NO_CONTENT, headers={"HX-Trigger": "crm:saved"}
            )
        return redirect(request, f"/deals/{answer.json()['id']}")
    typed = {**dict(form), "contact_ids": [str(c) for c in form.getlist("contact_ids")]}
    context = await _quick_context(request, user, typed, problems(answer, RENAMED))
    return render(request, "deals/_quick_add.html", user, status_code=422, **context)


# The deals API's names for what the forms call otherwise.
RENAMED = {"documents": "document_url", "stage_id": "form"}


# --- a deal's page and its edit page ----------------------------------------------------------


@router.get("/deals/options")
async def deal_options(
    request: Request, user: PageSeller, company_id: UUID | None = None
) -> Response:
    """`<option>`s of a company's deals the user may see, for a form whose company was just
    chosen (an activity planned from the calendar); none for no company."""
    deals = await deal_choices(request, user, str(company_id)) if company_id else []
    return render(request, "deals/_deal_options.html", user, deals=deals, chosen="")


@router.get("/deals/{deal_id}")
async def deal_page(request: Request, deal_id: UUID, user: PageSeller) -> Response:
    deal = await read(request, user, "deals", f"/api/deals/{deal_id}")
    entries = await read(request, user, "deals", f"/api/deals/{deal_id}/timeline")
    timeline = await readable(request, user, entries, {deal["id"]: deal["currency"]})
    timeline = with_notes(timeline, await post_lines(request, user, "deal", deal_id))
    company = await read(request, user, "deals", f"/api/companies/{deal['company_id']}")
    documents = await read(request, user, "deals", f"/api/deals/{deal_id}/documents")
    pipelines = await read(request, user, "deals", "/api/pipelines")
    stages = {s["id"]: s["name"] for p in pipelines for s in p["stages"]}
    own: list[dict[str, Any]] = next(
        (p["stages"] for p in pipelines if p["id"] == deal["pipeline_id"]), []
    )
    # A knowledge document shows with the documents (`_deal_documents.html`), not as a link.
    links = [d for d in documents if not d["url"].startswith(KNOWLEDGE_DOCUMENTS)]
    # The deal page stays useful when the calendar does not answer.
    activities = await part(
        read(request, user, "calendar", "/api/activities", deal_id=str(deal_id)), {"items": []}
    )
    context = {
        "deal": deal,
        "timeline": timeline,
        "company": company,
        "documents": links,
        "contacts": await _deal_contacts(request, user, deal),
        "stage_name": stages.get(deal["stage_id"], ""),
        "stages": [(stage["id"], stage["name"]) for stage in own],
        "owner_name": await name_of(request, deal["owner_id"]),
        "activities": activities.value["items"],
        "activities_missing": activities.missing,
    }
    return render(request, "deals/deal.html", user, **context)


KNOWLEDGE_DOCUMENTS = "/knowledge/documents/"


async def _deal_contacts(request: Request, user: User, deal: dict[str, Any]) -> list[Any]:
    """The people of the deal, as its page lists them: with their phone and e-mail."""
    wanted = deal["contact_ids"]
    if not wanted:
        return []
    known = {c["id"]: c for c in await _contacts_of(request, user, deal["company_id"])}
    others = [contact_id for contact_id in dict.fromkeys(wanted) if contact_id not in known]
    answers = await asyncio.gather(  # of other companies: asked at once, each on its own
        *(
            ask(request, user, "deals", "GET", f"/api/contacts/{contact_id}")
            for contact_id in others
        )
    )
    for contact_id, answer in zip(others, answers, strict=True):
        if answer.status_code == 200:  # one the reader may not see is left out
            known[contact_id] = answer.json()
    return [known[contact_id] for contact_id in wanted if contact_id in known]


async def _edit_context(
    request: Request, user: User, deal: dict[str, Any], form: dict[str, Any], found: dict[str, str]
) -> dict[str, Any]:
    fields = await read(request, user, "deals", "/api/fields", record_type="deal")
    company_id = form.get("company_id") or deal["company_id"]
    choices = await company_choices(request, user, chosen=company_id)
    sellers = await owner_choices(request, user, deal["owner_id"])
    return {
        "deal": deal,
        "form": form,
        "problems": found,
        "custom_fields": fields,
        "choices": choices,
        "company_id": company_id,
        "contacts": await _contacts_of(request, user, company_id),
        "chosen_contacts": form.get("contact_ids", []),
        "sellers": sellers,
        "currencies": forms.CURRENCIES,
        "documents": await read(request, user, "deals", f"/api/deals/{deal['id']}/documents"),
    }


def _as_form(deal: dict[str, Any]) -> dict[str, Any]:
    """The deal as its edit form shows it."""
    form = {
        key: deal[key] if deal[key] is not None else ""
        for key in (
            "title",
            "company_id",
            "amount",
            "currency",
            "expected_close_date",
            "probability",
            "source",
            "owner_id",
        )
    }
    form["contact_ids"] = deal["contact_ids"]
    form |= {f"custom.{key}": value for key, value in deal["custom"].items()}
    return form


@router.get("/deals/{deal_id}/edit")
async def edit_deal(request: Request, deal_id: UUID, user: PageSeller) -> Response:
    deal = await read(request, user, "deals", f"/api/deals/{deal_id}")
    context = await _edit_context(request, user, deal, _as_form(deal), {})
    return render(request, "deals/deal_form.html", user, **context)


@router.post("/deals/{deal_id}")
async def update_deal(request: Request, deal_id: UUID, user: PageSeller) -> Response:
    """Save every field of the edit form in one change (audited field by field)."""
    deal = await read(request, user, "deals", f"/api/deals/{deal_id}")
    form = await request.form()
    fields = await read(request, user, "deals", "/api/fields", record_type="deal")
    body = forms.deal_body(form, fields, owner=user.role in ("head", "admin"))
    path = f"/api/deals/{deal_id}"
    answer = await ask(request, user, "deals", "PATCH", path, json=body)
    if answer.status_code == 200:
        return redirect(request, f"/deals/{deal_id}")
    typed = {**dict(form), "contact_ids": [str(c) for c in form.getlist("contact_ids")]}
    context = await _edit_context(request, user, deal, typed, problems(answer))
    return render(request, "deals/_deal_form.html", user, status_code=422, **context)


@router.post("/deals/{deal_id}/documents")
async def link_document(request: Request, deal_id: UUID, user: PageSeller) -> Response:
    """Link a document (its title and address); the list of the deal's documents again."""
    form = await request.form()
    body = {"title": forms.text(form, "title"), "url": forms.text(form, "url")}
    answer = await ask(request, user, "deals", "POST", f"/api/deals/{deal_id}/documents", json=body)
    found = {} if answer.status_code == 201 else problems(answer)
    documents = await read(request, user, "deals", f"/api/deals/{deal_id}/documents")
    context = {
        "deal": {"id": str(deal_id)},
        "documents": documents,
        "problems": found,
        "form": form if found else {},
    }
    code = status.HTTP_200_OK if not found else status.HTTP_422_UNPROCESSABLE_CONTENT
    return render(request, "deals/_documents.html", user, status_code=code, **context)


@router.post("/deals/{deal_id}/archive")
async def archive_deal(request: Request, deal_id: UUID, user: PageSeller) -> Response:
    return await set_archived(request, user, f"/deals/{deal_id}", archive=True)


@router.post("/deals/{deal_id}/restore")
async def restore_deal(request: Request, deal_id: UUID, user: PageSeller) -> Response:
    return await set_archived(request, user, f"/deals/{deal_id}", archive=False)
