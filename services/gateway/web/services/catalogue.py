"""The company-service catalogue: every service by department for everyone, and the
administrator's form designer (fields, their order, required or not, options) with a preview."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from sqlalchemy import select
from starlette.datastructures import FormData

from services.gateway.tables import Department, Team, User
from services.gateway.web.backend import ask, read
from services.gateway.web.common import PageAdmin, PageUser, redirect
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import render
from services.gateway.web.services.fields import (
    PREFILLS,
    TYPES,
    Choices,
    labels,
    problems_by_path,
)
from shared.text import key_of

router = APIRouter(include_in_schema=False)

ATTRIBUTES = (
    "key",
    "label",
    "type",
    "required",
    "options",
    "minimum",
    "maximum",
    "pattern",
    "prefill",
    "help",
)
SECTIONS = ("inputs", "outputs")


@router.get("/services")
async def catalogue(request: Request, user: PageUser) -> Response:
    """Every service a department offers, with what it asks for and how fast it delivers."""
    page = await read(request, user, "knowledge", "/api/services", limit=200)
    by_department: dict[str, list[Any]] = {}
    for service in page["items"]:
        by_department.setdefault(service["department_name"], []).append(service)
    context: dict[str, Any] = {
        "departments": sorted(by_department.items()),
        "types": labels(TYPES),
    }
    return render(request, "services/catalogue.html", user, **context)


def _rows(form: FormData, section: str) -> list[dict[str, Any]]:
    """A form section's fields in the order the page shows them."""
    columns = {name: form.getlist(f"{section}.{name}") for name in ATTRIBUTES}
    rows = []
    for position in range(len(columns["label"])):
        value = {
            name: str(columns[name][position]) if position < len(columns[name]) else ""
            for name in ATTRIBUTES
        }
        rows.append(value)
    return rows


def _field(row: dict[str, Any]) -> dict[str, Any]:
    """A designer's row as the knowledge API takes it."""
    options = [o.strip() for o in row["options"].split(",") if o.strip()]
    return {
        "key": row["key"].strip() or key_of(row["label"]),
        "label": row["label"].strip(),
        "type": row["type"] or "text",
        "required": row["required"] == "true",
        "options": options if row["type"] == "select" else [],
        "minimum": row["minimum"].strip() or None,
        "maximum": row["maximum"].strip() or None,
        "pattern": row["pattern"].strip() or None,
        "prefill": row["prefill"] or None,
        "help": row["help"].strip(),
    }


def _body(form: FormData) -> dict[str, Any]:
    return {
        "name": str(form.get("name", "")).strip(),
        "department_id": str(form.get("department_id", "")) or None,
        "description": str(form.get("description", "")),
        "sla_hours": str(form.get("sla_hours", "")) or None,
        "requesters": [str(p) for p in form.getlist("requesters")] or ["everyone"],
        "inputs": [_field(row) for row in _rows(form, "inputs") if row["label"] or row["key"]],
        "outputs": [_field(row) for row in _rows(form, "outputs") if row["label"] or row["key"]],
    }


async def _designer(
    request: Request,
    user: User,
    service: dict[str, Any],
    found: dict[str, str],
    status_code: int = status.HTTP_200_OK,
) -> Response:
    async with request.app.state.sessions() as session:
        departments = [
            (str(d.id), d.name)
            for d in await session.scalars(select(Department).order_by(Department.name))
        ]
        teams = [
            (str(t.id), t.name) for t in await session.scalars(select(Team).order_by(Team.name))
        ]
    principals = [("everyone", _("Everyone"))]
    principals += [(f"team:{id_}", _("Group: %(name)s") % {"name": name}) for id_, name in teams]
    principals += [
        (f"department:{id_}", _("Department: %(name)s") % {"name": name})
        for id_, name in departments
    ]
    context = {
        "service": service,
        "departments": departments,
        "principals": principals,
        "types": labels(TYPES),
        "prefills": labels(PREFILLS),
        "problems": found,
        "choices": Choices(),
    }
    return render(request, "services/designer.html", user, status_code=status_code, **context)


NEW_SERVICE: dict[str, Any] = {
    "name": "",
    "description": "",
    "sla_hours": 8,
    "requesters": ["everyone"],
    "inputs": [],
    "outputs": [],
    "active": True,
}


@router.get("/services/new")
async def new_service(request: Request, user: PageAdmin) -> Response:
    """The form designer for a new service."""
    return await _designer(request, user, dict(NEW_SERVICE), {})


@router.get("/services/designer/row")
async def designer_row(request: Request, user: PageAdmin, section: str = "inputs") -> Response:
    """One more field for a form of the designer."""
    context: dict[str, Any] = {
        "section": section if section in SECTIONS else "inputs",
        "row": {"type": "text", "required": False, "options": []},
        "types": labels(TYPES),
        "prefills": labels(PREFILLS),
        "problems": {},
        "position": -1,
    }
    return render(request, "services/_designer_row.html", user, **context)


@router.post("/services/preview")
async def preview(request: Request, user: PageAdmin) -> Response:
    """The request form as a manager will see it, from the designer's fields as they are."""
    body = _body(await request.form())
    fields = [{**one, "options": one["options"]} for one in body["inputs"]]
    outputs = [{**one, "options": one["options"]} for one in body["outputs"]]
    context: dict[str, Any] = {
        "fields": fields,
        "outputs": outputs,
        "choices": Choices(),
        "values": {},
        "problems": {},
    }
    return render(request, "services/_preview.html", user, **context)


@router.post("/services")
async def create_service(request: Request, user: PageAdmin) -> Response:
    body = _body(await request.form())
    answer = await ask(request, user, "knowledge", "POST", "/api/services", json=body)
    if answer.status_code == status.HTTP_201_CREATED:
        return redirect(request, "/services")
    return await _designer(
        request, user, body, problems_by_path(answer), status.HTTP_422_UNPROCESSABLE_CONTENT
    )


@router.get("/services/{service_id}/edit")
async def edit_service(request: Request, user: PageAdmin, service_id: UUID) -> Response:
    service = await read(request, user, "knowledge", f"/api/services/{service_id}")
    return await _designer(request, user, service, {})


@router.post("/services/{service_id}")
async def save_service(request: Request, user: PageAdmin, service_id: UUID) -> Response:
    form = await request.form()
    body = _body(form)
    body["active"] = form.get("active") == "true"
    answer = await ask(
        request, user, "knowledge", "PATCH", f"/api/services/{service_id}", json=body
    )
    if answer.status_code == status.HTTP_200_OK:
        return redirect(request, "/services")
    return await _designer(
        request,
        user,
        {**body, "id": str(service_id)},
        problems_by_path(answer),
        status.HTTP_422_UNPROCESSABLE_CONTENT,
    )
