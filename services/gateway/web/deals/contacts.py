"""Contacts: the list with search, a contact's page with its form, new ones, archiving."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response

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
from services.gateway.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/contacts")
async def contact_list(
    request: Request,
    user: PageSeller,
    q: str | None = None,
    archived: bool = False,
    cursor: str | None = None,
) -> Response:
    """By name, found by name, e-mail or phone; the archived ones on their own tab."""
    params = {"q": (q or "").strip()[:100], "cursor": cursor, "archived": archived or None}
    page = await read(
        request, user, "deals", "/api/contacts", **{k: v for k, v in params.items() if v}
    )
    context = {"page": page, "q": q or "", "archived": archived}
    template = "deals/_contact_rows.html" if cursor or request.headers.get("HX-Request") else None
    return render(request, template or "deals/contacts.html", user, **context)


@router.get("/contacts/new")
async def new_contact(
    request: Request, user: PageSeller, company_id: UUID | None = None
) -> Response:
    form = {"company_id": str(company_id) if company_id else ""}
    return await _form_page(request, user, None, form, {})


@router.get("/contacts/options")
async def contact_options(request: Request, user: PageSeller, company_id: UUID) -> Response:
    """The checkboxes of a company's contacts, for a deal form whose company was just chosen."""
    contacts = await read(
        request, user, "deals", "/api/contacts", company_id=str(company_id), limit=200
    )
    context = {"contacts": contacts["items"], "chosen": []}
    return render(request, "deals/_contact_choices.html", user, **context)


@router.post("/contacts")
async def create_contact(request: Request, user: PageSeller) -> Response:
    form = await request.form()
    body = forms.contact_body(form, owner=gives_customers(user))
    answer = await ask(request, user, "deals", "POST", "/api/contacts", json=body)
    if answer.status_code == 201:
        created = answer.json()
        to = f"/companies/{created['company_id']}" if created["company_id"] else "/contacts"
        return redirect(request, to)
    return await _form(request, user, None, dict(form), problems(answer))


@router.get("/contacts/{contact_id}")
async def contact_page(request: Request, contact_id: UUID, user: PageSeller) -> Response:
    contact = await read(request, user, "deals", f"/api/contacts/{contact_id}")
    keys = ("name", "company_id", "position", "phone", "email", "owner_id")
    form = {key: contact[key] or "" for key in keys}
    return await _form_page(request, user, contact, form, {})


@router.post("/contacts/{contact_id}")
async def update_contact(request: Request, contact_id: UUID, user: PageSeller) -> Response:
    contact = await read(request, user, "deals", f"/api/contacts/{contact_id}")
    form = await request.form()
    path = f"/api/contacts/{contact_id}"
    body = forms.contact_body(form, owner=gives_customers(user))
    answer = await ask(request, user, "deals", "PATCH", path, json=body)
    if answer.status_code == 200:
        return redirect(request, f"/contacts/{contact_id}")
    return await _form(request, user, contact, dict(form), problems(answer))


@router.post("/contacts/{contact_id}/archive")
async def archive_contact(request: Request, contact_id: UUID, user: PageSeller) -> Response:
    return await set_archived(request, user, f"/contacts/{contact_id}", archive=True)


@router.post("/contacts/{contact_id}/restore")
async def restore_contact(request: Request, contact_id: UUID, user: PageSeller) -> Response:
    return await set_archived(request, user, f"/contacts/{contact_id}", archive=False)


async def _context(
    request: Request, user: User, contact: Any, form: dict[str, Any], found: dict[str, str]
) -> dict[str, Any]:
    choices = await company_choices(request, user, chosen=form.get("company_id") or "")
    owner = contact["owner_id"] if contact else str(user.id)
    return {
        "contact": contact,
        "form": {"owner_id": owner, **form},
        "problems": found,
        "choices": choices,
        "sellers": await owner_choices(request, user, form.get("owner_id") or owner),
        "owner_name": await name_of(request, owner),
        "may_change": contact is None
        or may_change(user, owner, await led_by(request, user, former=True)),
    }


async def _form_page(
    request: Request, user: User, contact: Any, form: dict[str, Any], found: dict[str, str]
) -> Response:
    context = await _context(request, user, contact, form, found)
    return render(request, "deals/contact_form.html", user, **context)


async def _form(
    request: Request, user: User, contact: Any, form: dict[str, Any], found: dict[str, str]
) -> Response:
    """The form again, with what the service refused next to each field."""
    context = await _context(request, user, contact, form, found)
    return render(request, "deals/_contact_form.html", user, status_code=422, **context)
