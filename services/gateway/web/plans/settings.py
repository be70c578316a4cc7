"""The administrator's plan settings: approval on or off, and the deadline that locks periods."""

from fastapi import APIRouter, Request, Response

from services.gateway.web.backend import ask, read, reasons
from services.gateway.web.common import PageAdmin, form_fields
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/plans/settings")
async def settings_page(request: Request, user: PageAdmin) -> Response:
    current = await read(request, user, "planning", "/api/plans/settings")
    return render(request, "plans/settings.html", user, settings=current, errors=[], notice="")


@router.post("/plans/settings")
async def save_settings(request: Request, user: PageAdmin) -> Response:
    form = await form_fields(request)
    body = {
        "approval_required": form.get("approval_required") == "on",
        "lock_after_days": form.get("lock_after_days", "").strip() or None,
    }
    answer = await ask(request, user, "planning", "PUT", "/api/plans/settings", json=body)
    if answer.is_error:
        errors = reasons(answer)
        return render(
            request, "plans/_settings.html", user, 422, settings=body, errors=errors, notice=""
        )
    saved = answer.json()
    return render(
        request, "plans/_settings.html", user, settings=saved, errors=[], notice=_("Saved.")
    )
