"""The administrator's deals pages: stages and what each requires, custom fields."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response

from services.gateway.tables import User
from services.gateway.web.backend import ask, part, problems, read, reasons
from services.gateway.web.common import PageAdmin, form_fields
from services.gateway.web.deals.board import INPUTS
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import render
from shared.text import N_, key_of

router = APIRouter(include_in_schema=False)

# What each kind of custom field, record and stage is called on the page.
FIELD_TYPES = {
    "text": N_("Text"),
    "number": N_("Number"),
    "money": N_("Amount of money"),
    "date": N_("Date"),
    "boolean": N_("Yes or no"),
    "select": N_("Choice from a list"),
    "user": N_("User"),
    "document": N_("Document"),
}
RECORD_TYPES = {"deal": N_("Deals"), "company": N_("Companies"), "contact": N_("Contacts")}
STAGE_KINDS = {"open": N_("open"), "won": N_("closes as won"), "lost": N_("closes as lost")}
EVIDENCE = ("completed_activity", "document", "no_skipping", "close_date_not_past")


def labels(names: dict[str, str]) -> dict[str, str]:
    return {key: _(label) for key, label in names.items()}


async def _page(
    request: Request, user: User, errors: dict[str, str], form: dict[str, str], status: int = 200
) -> Response:
    pipelines = await read(request, user, "deals", "/api/pipelines")
    fields = await read(request, user, "deals", "/api/fields")
    reasons = await read(request, user, "deals", "/api/pipelines/lost-reasons")
    # The catalogue is knowledge's: without it, the page still sets everything else.
    catalogue = await part(
        read(request, user, "knowledge", "/api/services", limit=200), {"items": []}
    )
    services = catalogue.value["items"]
    deal_fields = [(name, _(label)) for name, (_kind, label) in INPUTS.items()]
    deal_fields += [(f["key"], f["label"]) for f in fields if f["record_type"] == "deal"]
    context = {
        "pipelines": pipelines,
        "fields": fields,
        "lost_reasons": reasons,
        "deal_fields": deal_fields,
        "field_types": labels(FIELD_TYPES),
        "record_types": labels(RECORD_TYPES),
        "stage_kinds": labels(STAGE_KINDS),
        "errors": errors,
        "form": form,
        "services": services,
        "services_missing": catalogue.missing,
        "service_names": {s["id"]: s["name"] for s in services},
        "output_names": {
            f"{s['id']}/{o['key']}": o["label"] for s in services for o in s["outputs"]
        },
    }
    return render(request, "admin/pipelines.html", user, status_code=status, **context)


@router.get("/admin/pipelines")
async def pipelines_page(request: Request, user: PageAdmin) -> Response:
    return await _page(request, user, {}, {})


@router.post("/admin/pipelines/{pipeline_id}/stages/{stage_id}")
async def save_requirements(
    request: Request, pipeline_id: UUID, stage_id: UUID, user: PageAdmin
) -> Response:
    form = await request.form()
    body: dict[str, Any] = {"fields": [str(v) for v in form.getlist("fields")]}
    body |= {flag: form.get(flag) == "on" for flag in EVIDENCE}
    body["services"] = _service_requirements(form)
    path = f"/api/pipelines/{pipeline_id}/stages/{stage_id}/requirements"
    answer = await ask(request, user, "deals", "PUT", path, json=body)
    if answer.status_code == 200:
        added = {"HX-Refresh": "true"} if form.get("new_service") else {}
        return Response(_("Saved."), media_type="text/plain", headers=added)
    refused = "; ".join(reasons(answer))
    return Response(f"{_('Not saved:')} {refused}", media_type="text/plain", status_code=422)


def _service_requirements(form: Any) -> list[dict[str, Any]]:
    """The delivered requests a stage keeps (ticked) and the one added, each once."""
    wanted: list[dict[str, Any]] = []
    for kept in form.getlist("service_requirement"):
        service_id, output, value = [*str(kept).split("|", 2), "", ""][:3]
        wanted.append({"service_id": service_id, "output": output or None, "value": value or None})
    if form.get("new_service"):
        wanted.append(
            {
                "service_id": str(form["new_service"]),
                "output": str(form.get("new_output", "")) or None,
                "value": str(form.get("new_value", "")).strip() or None,
            }
        )
    unique = {(w["service_id"], w["output"], w["value"]): w for w in wanted}
    return list(unique.values())


@router.post("/admin/fields")
async def add_field(request: Request, user: PageAdmin) -> Response:
    form = await form_fields(request)
    body = {
        "record_type": form.get("record_type", "deal"),
        "key": form.get("key", "").strip() or key_of(form.get("label", "")),
        "label": form.get("label", ""),
        "type": form.get("type", "text"),
        "options": [o.strip() for o in form.get("options", "").split(",") if o.strip()],
    }
    answer = await ask(request, user, "deals", "POST", "/api/fields", json=body)
    if answer.status_code == 201:
        return await _page(request, user, {}, {})
    return await _page(request, user, problems(answer), form, status=422)


@router.post("/admin/pipelines/{pipeline_id}/stages/{stage_id}/edit")
async def edit_stage(
    request: Request, pipeline_id: UUID, stage_id: UUID, user: PageAdmin
) -> Response:
    form = await request.form()
    body = {"name": str(form.get("name", "")), "probability": str(form.get("probability", ""))}
    path = f"/api/pipelines/{pipeline_id}/stages/{stage_id}"
    answer = await ask(request, user, "deals", "PATCH", path, json=body)
    return await _after(request, user, answer, body)


@router.post("/admin/pipelines/{pipeline_id}/stages/{stage_id}/move")
async def move_stage(
    request: Request, pipeline_id: UUID, stage_id: UUID, user: PageAdmin
) -> Response:
    """An open stage one place earlier (`up`) or later in its pipeline."""
    form = await form_fields(request)
    found = await read(request, user, "deals", "/api/pipelines")
    stages: list[dict[str, Any]] = next(
        (p["stages"] for p in found if p["id"] == str(pipeline_id)), []
    )
    order = [stage["id"] for stage in stages if stage["kind"] == "open"]
    if str(stage_id) in order:
        at = order.index(str(stage_id))
        to = at - 1 if form.get("direction") == "up" else at + 1
        if 0 <= to < len(order):
            order[at], order[to] = order[to], order[at]
    path = f"/api/pipelines/{pipeline_id}/stages/order"
    answer = await ask(request, user, "deals", "PUT", path, json={"stage_ids": order})
    return await _after(request, user, answer, {})


@router.post("/admin/pipelines/{pipeline_id}/stages")
async def new_stage(request: Request, pipeline_id: UUID, user: PageAdmin) -> Response:
    form = await request.form()
    body = {"name": str(form.get("name", "")), "probability": str(form.get("probability", "0"))}
    answer = await ask(
        request, user, "deals", "POST", f"/api/pipelines/{pipeline_id}/stages", json=body
    )
    return await _after(request, user, answer, body)


async def _after(request: Request, user: User, answer: Any, form: dict[str, str]) -> Response:
    """The page again: as it now is, or with what the deals service refused."""
    if answer.status_code < 400:
        return await _page(request, user, {}, {})
    errors = {f"stage_{field}": message for field, message in problems(answer).items()}
    return await _page(
        request, user, errors, {f"stage_{k}": v for k, v in form.items()}, status=422
    )


@router.post("/admin/pipelines/{pipeline_id}")
async def rename_pipeline(request: Request, pipeline_id: UUID, user: PageAdmin) -> Response:
    form = await form_fields(request)
    body = {"name": form.get("name", "")}
    answer = await ask(request, user, "deals", "PATCH", f"/api/pipelines/{pipeline_id}", json=body)
    return await _refused_or_page(request, user, answer, f"pipeline-{pipeline_id}", body)


@router.post("/admin/lost-reasons")
async def add_lost_reason(request: Request, user: PageAdmin) -> Response:
    form = await form_fields(request)
    body = {"name": form.get("name", "")}
    path = "/api/pipelines/lost-reasons"
    answer = await ask(request, user, "deals", "POST", path, json=body)
    return await _refused_or_page(request, user, answer, "reason-new", body)


@router.post("/admin/lost-reasons/{reason_id}")
async def change_lost_reason(request: Request, reason_id: UUID, user: PageAdmin) -> Response:
    """Rename a lost reason, or (with `active`) offer it no more or again."""
    form = await form_fields(request)
    body: dict[str, Any] = {"name": form["name"]} if "name" in form else {}
    if "active" in form:
        body["active"] = form["active"] == "true"
    path = f"/api/pipelines/lost-reasons/{reason_id}"
    answer = await ask(request, user, "deals", "PATCH", path, json=body)
    return await _refused_or_page(request, user, answer, f"reason-{reason_id}", body)


async def _refused_or_page(
    request: Request, user: User, answer: Any, where: str, form: dict[str, Any]
) -> Response:
    """The page again: as it now is, or with the refusal next to the form at `where`."""
    if answer.status_code < 400:
        return await _page(request, user, {}, {})
    refused = "; ".join(problems(answer).values())
    typed = {where: str(form.get("name", ""))}
    return await _page(request, user, {where: refused}, typed, status=422)
