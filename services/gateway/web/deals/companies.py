"""The customer companies: the list, a company's page, the new and edit forms, archiving."""

from typing import Any
from uuid import UUID

import httpx
from fastapi import APIRouter, HTTPException, Request, Response, status

from services.gateway.tables import User
from services.gateway.web.backend import ask, problems, read
from services.gateway.web.common import PageSeller, redirect
from services.gateway.web.deals import forms
from services.gateway.web.deals.archiving import set_archived
from services.gateway.web.deals.choices import company_choices
from services.gateway.web.deals.people import (
    gives_customers,
    led_by,
    may_change,
    name_of,
    owner_choices,
)
from services.gateway.web.deals.timeline import readable, with_notes
from services.gateway.web.feed.records import post_lines
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import render

router = APIRouter(include_in_schema=False)

# As the deals service says it when it refuses the change.
NOT_YOURS = "only the owner, their head or an administrator may change this record"


def _query(**params: str | None) -> dict[str, str]:
    return {key: value for key, value in params.items() if value}


@router.get("/companies")
async def company_list(
    request: Request,
    user: PageSeller,
    q: str | None = None,
    archived: bool = False,
    cursor: str | None = None,
) -> Response:
    """By name, searched by name or NIP; the archived ones on their own tab."""
    params = _query(q=q, cursor=cursor, archived="true" if archived else None)
    page = await read(request, user, "deals", "/api/companies", **params)
    context = {"page": page, "q": q or "", "archived": archived}
    template = "deals/_company_rows.html" if cursor or request.headers.get("HX-Request") else None
    return render(request, template or "deals/companies.html", user, **context)


@router.get("/companies/new")
async def new_company(request: Request, user: PageSeller) -> Response:
    context: dict[str, Any] = {"company": None, "form": {"owner_id": str(user.id)}, "problems": {}}
    sellers = await owner_choices(request, user, str(user.id))
    return render(request, "deals/company_form.html", user, sellers=sellers, **context)


@router.get("/companies/nip-check")
async def check_nip(
    request: Request, user: PageSeller, tax_id: str = "", company_id: str = ""
) -> Response:
    """As a NIP is typed: whether it is one, and a link to the company that already has it."""
    check: dict[str, Any] = {}
    if tax_id.strip():
        check = await read(request, user, "deals", "/api/companies/nip-check", tax_id=tax_id[:40])
    holder = check.get("company")
    if holder and holder["id"] == company_id:  # the company being edited has it: fine
        holder = None
    return render(request, "deals/_nip_check.html", user, check=check, holder=holder)


@router.get("/companies/options")
async def company_options(request: Request, user: PageSeller, q: str = "") -> Response:
    """`<option>`s of the companies matching what is typed in a picker."""
    choices = await company_choices(request, user, q)
    return render(request, "deals/_company_options.html", user, choices=choices, chosen="")


@router.post("/companies")
async def create_company(request: Request, user: PageSeller) -> Response:
    form = await request.form()
    body = forms.company_body(form, owner=gives_customers(user))
    answer = await ask(request, user, "deals", "POST", "/api/companies", json=body)
    if answer.status_code == 201:
        return redirect(request, f"/companies/{answer.json()['id']}")
    return await _refused(request, user, None, dict(form), answer)


async def _refused(
    request: Request, user: User, company: Any, form: dict[str, Any], answer: httpx.Response
) -> Response:
    """The form again, with what the service refused next to each field and, for a NIP another
    company has, a link to that company."""
    found = problems(answer)
    holder = None
    if answer.status_code == 409:
        detail = answer.json().get("detail") or [{}]
        holder = next((d.get("ctx") for d in detail if d.get("ctx")), None)
    context = {"company": company, "form": form, "problems": found, "holder": holder}
    sellers = await owner_choices(request, user, form.get("owner_id"))
    return render(
        request, "deals/_company_form.html", user, status_code=422, sellers=sellers, **context
    )


@router.get("/companies/{company_id}")
async def company_page(request: Request, company_id: UUID, user: PageSeller) -> Response:
    company = await read(request, user, "deals", f"/api/companies/{company_id}")
    entries = await read(request, user, "deals", f"/api/companies/{company_id}/timeline")
    deals = await read(request, user, "deals", "/api/deals", company_id=str(company_id))
    currencies = {deal["id"]: deal["currency"] for deal in deals["items"]}
    timeline = await readable(request, user, entries, currencies)
    timeline = with_notes(timeline, await post_lines(request, user, "company", company_id))
    contacts = await read(request, user, "deals", "/api/contacts", company_id=str(company_id))
    owner = company["owner_id"]
    context = {
        "company": company,
        "timeline": timeline,
        "deals": deals,
        "contacts": contacts,
        "deal_titles": {deal["id"]: deal["title"] for deal in deals["items"]},
        "owner_name": await name_of(request, owner),
        "may_change": may_change(user, owner, await led_by(request, user, former=True)),
    }
    return render(request, "deals/company.html", user, **context)


@router.get("/companies/{company_id}/edit")
async def edit_company(request: Request, company_id: UUID, user: PageSeller) -> Response:
    company = await read(request, user, "deals", f"/api/companies/{company_id}")
    address = company["address"] or {}
    form = {
        "name": company["name"],
        "tax_id": company["tax_id"] or "",
        "owner_id": company["owner_id"],
        **address,
    }
    if not may_change(user, company["owner_id"], await led_by(request, user, former=True)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, _(NOT_YOURS))
    sellers = await owner_choices(request, user, company["owner_id"])
    context = {"company": company, "form": form, "problems": {}, "sellers": sellers}
    return render(request, "deals/company_form.html", user, **context)


@router.post("/companies/{company_id}")
async def update_company(request: Request, company_id: UUID, user: PageSeller) -> Response:
    company = await read(request, user, "deals", f"/api/companies/{company_id}")
    form = await request.form()
    path = f"/api/companies/{company_id}"
    body = forms.company_body(form, owner=gives_customers(user))
    answer = await ask(request, user, "deals", "PATCH", path, json=body)
    if answer.status_code == 200:
        return redirect(request, f"/companies/{company_id}")
    return await _refused(request, user, company, dict(form), answer)


@router.post("/companies/{company_id}/archive")
async def archive_company(request: Request, company_id: UUID, user: PageSeller) -> Response:
    return await set_archived(request, user, f"/companies/{company_id}", archive=True)


@router.post("/companies/{company_id}/restore")
async def restore_company(request: Request, company_id: UUID, user: PageSeller) -> Response:
    return await set_archived(request, user, f"/companies/{company_id}", archive=False)
