"""The kanban board, and the move dialog that asks for exactly what a stage needs."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response, status

from services.gateway.tables import User
from services.gateway.web.backend import ask, read
from services.gateway.web.common import PageSeller, form_fields
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
}


@router.get("/deals")
async def board_page(request: Request, user: PageSeller, pipeline: UUID | None = None) -> Response:
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
async def move(request: Request, deal_id: UUID, user: PageSeller) -> Response:
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
