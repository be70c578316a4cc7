"""A plan line's history in a panel beside the grid or the review: who changed what, when."""

from uuid import UUID

from fastapi import APIRouter, Request, Response

from services.gateway.web.backend import read
from services.gateway.web.common import PageSeller
from services.gateway.web.i18n import format_money
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import render, status_label

router = APIRouter(include_in_schema=False)


def field_label(field: str) -> str:
    labels = {
        "amount": _("the amount"),
        "note": _("the note"),
        "status": _("the status"),
        "review_comment": _("the review comment"),
    }
    return labels.get(field, field)


def value_label(field: str, value: str | None) -> str:
    if not value:
        return "—"
    if field == "amount":
        return format_money(value)
    if field == "status":
        return status_label(value)
    return f"“{value}”"


@router.get("/plans/lines/{line_id}/history")
async def line_history(request: Request, user: PageSeller, line_id: UUID) -> Response:
    """The line's changes, newest first, for whoever may see the line."""
    changes = await read(request, user, "planning", f"/api/plans/lines/{line_id}/history")
    return render(
        request,
        "plans/_history.html",
        user,
        changes=changes,
        change_field=field_label,
        change_value=value_label,
    )
