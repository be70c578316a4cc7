"""Requests to departments on the pages: raising one (from the catalogue, a deal or a company,
its inputs filled from the record), its page with every step each side may take, comments and
files, and the lists: my requests, the department's queue, everything a head or admin sees."""

from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request, Response, status
from sqlalchemy import select

from services.gateway.tables import Department, User
from services.gateway.web.backend import ask, part, read
from services.gateway.web.common import PageUser, redirect
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import render
from services.gateway.web.services.fields import (
    Origin,
    choices_for,
    facts,
    field_problems,
    origin_of,
    prefilled,
    problems_by_path,
    submitted,
    upload_files,
)
from shared.text import N_

router = APIRouter(include_in_schema=False)

STEPS = {
    "submitted": N_("Submitted"),
    "accepted": N_("Taken"),
    "returned": N_("Returned for information"),
    "resubmitted": N_("Sent back with more information"),
    "delivered": N_("Delivered"),
    "rejected": N_("Rejected"),
    "cancelled": N_("Cancelled"),
    "comment": N_("Comment"),
}


def step_label(kind: str) -> str:
    return _(STEPS.get(kind, kind))


STATUSES = ("submitted", "accepted", "returned", "delivered", "rejected", "cancelled")
VIEWS = ("mine", "queue", "all")


def _view(user: User, asked: str | None) -> str:
    if asked in VIEWS and (asked != "queue" or user.department_id):
        return asked
    return "queue" if user.role == "staff" and user.department_id else "mine"


@router.get("/requests")
async def request_list(
    request: Request,
    user: PageUser,
    view: str | None = None,
    status_: str | None = None,
    assignee: str | None = None,
    cursor: str | None = None,
) -> Response:
    """My requests; the department's queue for its staff (the SLA's end first); all the
    requests a head (the group's) or the administrator sees."""
    view = _view(user, view)
    status_ = request.query_params.get("status") or status_
    query: dict[str, Any] = {"limit": 50}
    if view == "mine":
        query["mine"] = "true"
    elif view == "queue":
        query |= {"department": str(user.department_id), "sort": "due_at"}
        if not status_:
            query["status"] = ["submitted", "accepted", "returned"]
    if status_ in STATUSES:
        query["status"] = status_
    if assignee in ("me", "none"):
        query["assignee"] = assignee
    if cursor:
        query["cursor"] = cursor
    page = await read(request, user, "knowledge", "/api/requests", **query)
    context = {
        "page": page,
        "view": view,
        "filters": {"status": status_ or "", "assignee": assignee or ""},
        "statuses": STATUSES,
        "may_queue": bool(user.role == "staff" and user.department_id),
    }
    template = (
        "services/_rows.html" if request.headers.get("HX-Request") else "services/requests.html"
    )
    return render(request, template, user, **context)


@router.get("/requests/load")
async def department_load(
    request: Request, user: PageUser, department_id: UUID | None = None
) -> Response:
    """A department's open requests by who took them, with those near or past their SLA."""
    if user.role not in ("staff", "admin"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, _("This page is for the departments."))
    departments: list[tuple[str, str]] = []
    if user.role == "admin":  # any department, chosen on the page; their own first, if any
        async with request.app.state.sessions() as session:
            rows = await session.execute(select(Department.id, Department.name).order_by("name"))
            departments = [(str(id_), name) for id_, name in rows]
        department_id = department_id or user.department_id
        if department_id is None and departments:
            department_id = UUID(departments[0][0])
        if department_id is None:  # no department yet: nothing to show but where to make one
            return render(request, "services/load.html", user, load=None, view="load")
    params = {"department_id": str(department_id)} if department_id else {}
    load = await read(request, user, "knowledge", "/api/requests/load", **params)
    chosen = str(department_id)
    return render(
        request,
        "services/load.html",
        user,
        load=load,
        departments=departments,
        chosen=chosen,
        view="load",
    )


async def _form_context(
    request: Request,
    user: User,
    service: dict[str, Any],
    values: dict[str, Any],
    found: dict[str, str],
    origin: Origin,
    names: dict[str, str] | None = None,
) -> dict[str, Any]:
    fields = service["inputs"]
    choices = await choices_for(request, user, fields, values, names or {}, origin)
    return {
        "service": service,
        "fields": fields,
        "values": values,
        "problems": found,
        "choices": choices,
        "origin": origin,
    }


@router.get("/requests/new")
async def new_request(
    request: Request,
    user: PageUser,
    service_id: UUID | None = None,
    deal_id: UUID | None = None,
    company_id: UUID | None = None,
) -> Response:
    """The services the user may request; with one chosen, its input form filled from the deal
    or company the request is raised from."""
    deal = str(deal_id) if deal_id else None
    company = str(company_id) if company_id else None
    if service_id is None:
        page = await read(
            request, user, "knowledge", "/api/services", requestable="true", limit=200
        )
        context = {"services": page["items"], "deal_id": deal, "company_id": company}
        return render(request, "services/choose.html", user, **context)
    service = await read(request, user, "knowledge", f"/api/services/{service_id}")
    origin = await origin_of(request, user, deal, company)
    values = prefilled(service["inputs"], origin)
    context = await _form_context(request, user, service, values, {}, origin)
    return render(request, "services/request_form.html", user, **context)


@router.post("/requests")
async def submit_request(request: Request, user: PageUser) -> Response:
    """Raise the request; a refusal shows each field's problem beside it."""
    form = await request.form()
    service_id = str(form.get("service_id", ""))
    service = await read(request, user, "knowledge", f"/api/services/{service_id}")
    values, wrong = await submitted(request, user, form, service["inputs"])
    origin_ids = {key: str(form.get(key, "")) or None for key in ("deal_id", "company_id")}
    if not wrong:
        body = {
            "service_id": service_id,
            "inputs": values,
            **origin_ids,
            "comment": str(form.get("comment", "")),
        }
        answer = await ask(request, user, "knowledge", "POST", "/api/requests", json=body)
        if answer.status_code == status.HTTP_201_CREATED:
            return redirect(request, f"/requests/{answer.json()['id']}")
        wrong = field_problems(problems_by_path(answer), "inputs")
    origin = await origin_of(request, user, origin_ids["deal_id"], origin_ids["company_id"])
    context = await _form_context(request, user, service, values, wrong, origin)
    context["comment"] = str(form.get("comment", ""))
    return render(
        request,
        "services/request_form.html",
        user,
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        **context,
    )


@router.post("/requests/accept")
async def accept_many(request: Request, user: PageUser) -> Response:
    """Take the requests ticked in the queue, all at once."""
    form = await request.form()
    ids = [str(value) for value in form.getlist("request_ids")]
    if ids:
        await _step_or_page(request, user, "/api/requests/accept", {"request_ids": ids})
    return redirect(request, "/requests?view=queue")


async def _step_or_page(
    request: Request, user: User, path: str, body: dict[str, Any]
) -> dict[str, str]:
    """Take a step; what the service refused, by field (nothing when it went through)."""
    answer = await ask(request, user, "knowledge", "POST", path, json=body)
    return {} if answer.is_success else problems_by_path(answer)


async def _request_page(
    request: Request,
    user: User,
    request_id: UUID,
    *,
    refused: dict[str, str] | None = None,
    section: str = "",
    values: dict[str, Any] | None = None,
    status_code: int = status.HTTP_200_OK,
) -> Response:
    found = await read(request, user, "knowledge", f"/api/requests/{request_id}")
    names = found["names"]
    origin = Origin()
    resubmitting = {**found["inputs"], **(values or {})} if section == "inputs" else found["inputs"]
    delivering = values if section == "outputs" and values is not None else {}
    input_choices = await choices_for(
        request, user, found["input_fields"], resubmitting, names, origin
    )
    output_choices = await choices_for(
        request, user, found["output_fields"], delivering, names, origin
    )
    deal = None
    if found["deal_id"] and user.role != "staff":
        deal = (
            await part(read(request, user, "deals", f"/api/deals/{found['deal_id']}"), None)
        ).value
    seller = user.role != "staff"
    context = {
        "found": found,
        "names": names,
        "input_facts": facts(
            found["input_fields"], found["inputs"], names, found["id"], seller=seller
        ),
        "output_facts": facts(
            found["output_fields"], found["outputs"], names, found["id"], seller=seller
        ),
        "step_label": step_label,
        "refused": refused or {},
        "section": section,
        "resubmitting": resubmitting,
        "delivering": delivering,
        "input_choices": input_choices,
        "output_choices": output_choices,
        "deal": deal,
    }
    return render(request, "services/request.html", user, status_code=status_code, **context)


@router.get("/requests/{request_id}")
async def request_page(request: Request, user: PageUser, request_id: UUID) -> Response:
    """A request: what was asked, what was delivered, its steps, and what the user may do."""
    return await _request_page(request, user, request_id)


@router.post("/requests/{request_id}/accept")
async def accept(request: Request, user: PageUser, request_id: UUID) -> Response:
    refused = await _step_or_page(request, user, f"/api/requests/{request_id}/accept", {})
    return await _after(request, user, request_id, refused, "accept")


async def _after(
    request: Request,
    user: User,
    request_id: UUID,
    refused: dict[str, str],
    section: str,
    values: dict[str, Any] | None = None,
) -> Response:
    if not refused:
        return redirect(request, f"/requests/{request_id}")
    return await _request_page(
        request,
        user,
        request_id,
        refused=refused,
        section=section,
        values=values,
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


@router.post("/requests/{request_id}/{step}")
async def take_step(
    request: Request,
    user: PageUser,
    request_id: UUID,
    step: Literal["return", "reject", "cancel", "comments", "resubmit", "deliver"],
) -> Response:
    """Return, resubmit, deliver, reject, cancel or comment, from the request's page."""
    form = await request.form()
    text = str(form.get("text", ""))
    path = f"/api/requests/{request_id}/{step}"
    if step in ("return", "reject", "cancel"):
        body = {
            "return": {"comment": text},
            "reject": {"reason": text},
            "cancel": {"reason": text},
        }[step]
        return await _after(
            request, user, request_id, await _step_or_page(request, user, path, body), step
        )
    if step == "comments":
        files, wrong = await upload_files(request, user, form.getlist("files"))
        refused = wrong or await _step_or_page(request, user, path, {"body": text, "files": files})
        return await _after(request, user, request_id, refused, "comments")
    found = await read(request, user, "knowledge", f"/api/requests/{request_id}")
    section = "inputs" if step == "resubmit" else "outputs"
    fields = found["input_fields" if step == "resubmit" else "output_fields"]
    values, wrong = await submitted(request, user, form, fields)
    refused = wrong
    if not wrong:
        if step == "resubmit":  # a field emptied in the form is cleared, not kept
            values = {one["key"]: values.get(one["key"]) for one in fields} | values
        given: dict[str, Any] = {section: values, "comment": text}
        refused = field_problems(await _step_or_page(request, user, path, given), section)
    return await _after(request, user, request_id, refused, section, values)
