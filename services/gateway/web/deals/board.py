"""The kanban board, and the move dialog that asks at once for everything a stage needs."""

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from starlette.datastructures import FormData, UploadFile

from services.gateway.tables import User
from services.gateway.web.backend import ask, problems, read
from services.gateway.web.common import PageSeller
from services.gateway.web.deals import forms
from services.gateway.web.deals.cards import card_html
from services.gateway.web.deals.people import led_by
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import complaint, render
from shared.text import N_

router = APIRouter(include_in_schema=False)

# How the move dialog asks for each built-in field a stage can require.
INPUTS = {
    "amount": ("number", N_("Amount")),
    "expected_close_date": ("date", N_("Expected close date")),
    "probability": ("number", N_("Probability")),
    "source": ("text", N_("Source")),
    "contact_ids": ("contacts", N_("Contacts")),
}


@router.get("/deals")
async def board_page(
    request: Request, user: PageSeller, pipeline: UUID | None = None, owner: UUID | None = None
) -> Response:
    """The board of a pipeline; a head (or an administrator) may show one person's deals."""
    pipelines = await read(request, user, "deals", "/api/pipelines")
    chosen = next((p for p in pipelines if p["id"] == str(pipeline)), pipelines[0])
    sellers = await led_by(request, user, former=True)  # their deals wait for a new owner
    owner_id = str(owner) if owner and any(s.id == str(owner) for s in sellers) else ""
    params = {"owner_id": owner_id} if owner_id else {}
    path = f"/api/pipelines/{chosen['id']}/board"
    board = await read(request, user, "deals", path, brief="true", **params)
    now = datetime.now(UTC)
    for column in board["columns"]:
        open_stage = column["stage"]["kind"] == "open"
        column["cards"] = [
            card_html(deal, open_stage=open_stage, now=now) for deal in column["deals"]
        ]
    context = {
        "pipelines": pipelines,
        "chosen": chosen,
        "board": board,
        "sellers": sellers,
        "owner_id": owner_id,
    }
    return render(request, "deals/board.html", user, **context)


def _changes(form: FormData, asks: list[dict[str, Any]], fields: dict[str, Any]) -> dict[str, Any]:
    """Everything the dialog asked for, as typed, with the stage: one change, all or nothing."""
    changes: dict[str, Any] = {"stage_id": forms.text(form, "stage_id")}
    custom = {}
    for asked in (a["field"] for a in asks):
        if asked in fields:
            value = forms.custom_value(fields[asked], form)
            if value not in (None, False):  # an unticked box is no answer yet
                custom[asked] = value
        elif asked == "contact_ids":
            changes[asked] = [str(v) for v in form.getlist("contact_ids") if v]
        elif asked in (*INPUTS, "lost_reason") and forms.optional(form, asked):
            changes[asked] = forms.optional(form, asked)
    if custom:
        changes["custom"] = custom
    return changes


def custom_names(fields: dict[str, Any]) -> dict[str, str]:
    """A custom field's requirement is named by its key; its input by `custom.<key>`."""
    return {key: f"custom.{key}" for key in fields}


async def _requirements(request: Request, user: User, deal_id: UUID, stage_id: str) -> Any:
    """What the deal on file lacks for the stage: nothing typed in the dialog is saved until the
    move succeeds, so this is the same on every submission of the dialog."""
    path = f"/api/deals/{deal_id}/requirements"
    return await read(request, user, "deals", path, stage_id=stage_id)


@router.post("/deals/{deal_id}/move")
async def move(request: Request, deal_id: UUID, user: PageSeller) -> Response:
    """Move a dropped card; when the stage needs more, answer with a dialog asking for all of it
    at once, and keep what was typed there until the move goes through in one change."""
    form = await request.form()
    stage_id = forms.text(form, "stage_id")
    fields = {
        f["key"]: f for f in await read(request, user, "deals", "/api/fields", record_type="deal")
    }
    needed = (await _requirements(request, user, deal_id, stage_id))["unmet"]
    asks = [_ask(unmet, fields) for unmet in needed]
    sent = bool(form.get("dialog"))
    if needed and not sent:  # a first drop: ask for everything the stage needs, scold for nothing
        return await _dialog(request, user, deal_id, form, asks, {}, fields)
    attached = form.get("document_file")
    if sent and isinstance(attached, UploadFile) and attached.filename:
        trouble = await _attach_file(request, user, deal_id, attached, form)
        if trouble:
            return await _dialog(request, user, deal_id, form, asks, trouble, fields)
    elif sent and form.get("document_url"):
        document = {
            "title": forms.text(form, "document_title") or forms.text(form, "document_url"),
            "url": forms.text(form, "document_url"),
        }
        await ask(request, user, "deals", "POST", f"/api/deals/{deal_id}/documents", json=document)
    path = f"/api/deals/{deal_id}"
    answer = await ask(request, user, "deals", "PATCH", path, json=_changes(form, asks, fields))
    if answer.status_code == 200:
        return Response(status_code=status.HTTP_204_NO_CONTENT, headers={"HX-Trigger": "crm:moved"})
    if answer.status_code != 422:
        return Response(status_code=204, headers=complaint(_("The deal could not be moved.")))
    renamed = {**custom_names(fields), "documents": "document_url"}
    found = problems(answer, renamed)
    asked = {a["field"] for a in asks}
    for problem in answer.json()["detail"]:  # e.g. a close date typed in the past
        field = str(problem["loc"][-1]).removeprefix("custom.")
        if field not in asked and field not in ("stage_id", "archived"):
            asks.append(_ask({"field": field, "code": problem["type"], "message": ""}, fields))
            asked.add(field)
    return await _dialog(request, user, deal_id, form, asks, found, fields)


# How long the dialog waits for the deal to learn of a file it has just stored with it (the
# knowledge base tells the deals service by event: milliseconds, unless something is behind).
LEARNING_SECONDS = 5.0


async def _attach_file(
    request: Request, user: User, deal_id: UUID, file: UploadFile, form: FormData
) -> dict[str, str]:
    """The file stored in the knowledge base with the deal (the offer a stage asks for, say),
    and waited for until the deal counts it; what to tell the person otherwise."""
    details = {"deal_id": str(deal_id)}
    if title := forms.text(form, "document_title"):
        details["title"] = title
    content_type = file.content_type or "application/octet-stream"
    stored = await ask(
        request,
        user,
        "knowledge",
        "POST",
        "/api/documents",
        data=details,
        files={"file": (file.filename, file.file, content_type)},
    )
    if stored.status_code == status.HTTP_413_CONTENT_TOO_LARGE:
        return {"document_url": _("The file is larger than the limit.")}
    if stored.status_code != status.HTTP_201_CREATED:
        found = problems(stored)
        return {
            "document_url": found.get("file") or found.get("form") or next(iter(found.values()))
        }
    url = f"/knowledge/documents/{stored.json()['id']}"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LEARNING_SECONDS
    while loop.time() < deadline:
        documents = await read(request, user, "deals", f"/api/deals/{deal_id}/documents")
        if any(document["url"] == url for document in documents):
            return {}
        await asyncio.sleep(0.1)
    return {
        "document_url": _(
            "The file is stored with the deal, which will count it in a moment: "
            "move the deal again then, without the file."
        )
    }


def _ask(unmet: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """How the dialog asks for one unmet requirement."""
    field = str(unmet["field"] or "stage_id")
    kind, label = INPUTS.get(field, ("text", field))
    if field in fields:
        kind, label = fields[field]["type"], fields[field]["label"]
    return {
        "field": field,
        "kind": kind,
        "label": _(label),
        "message": unmet["message"],
        "code": unmet["code"],
    }


async def _dialog(
    request: Request,
    user: User,
    deal_id: UUID,
    form: FormData,
    asks: list[dict[str, Any]],
    found: dict[str, str],
    fields: dict[str, Any],
) -> Response:
    reasons = await read(request, user, "deals", "/api/pipelines/lost-reasons")
    contacts: list[Any] = []
    if any(a["field"] == "contact_ids" for a in asks):
        deal = await read(request, user, "deals", f"/api/deals/{deal_id}")
        contacts = (
            await read(
                request, user, "deals", "/api/contacts", company_id=deal["company_id"], limit=200
            )
        )["items"]
    context = {
        "deal_id": deal_id,
        "stage_id": forms.text(form, "stage_id"),
        "asks": asks,
        "form": form,
        "problems": found,
        "lost_reasons": [r["name"] for r in reasons if r["active"]],
        "fields": fields,
        "contacts": contacts,
        "chosen": [str(v) for v in form.getlist("contact_ids")],
        "fillable": any(a["code"] not in UNFILLABLE for a in asks),
    }
    return render(request, "deals/_move_dialog.html", user, status_code=422, **context)


# Requirements the dialog cannot meet: it only says what to do first.
UNFILLABLE = ("completed_activity_required", "stage_skipped", "service_required")
