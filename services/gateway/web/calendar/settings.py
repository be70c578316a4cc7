"""Calendar settings: a user's default reminders, the administrator's outcome types."""

from typing import Any

from fastapi import APIRouter, Request, Response

from services.gateway.tables import User
from services.gateway.web.backend import ask, problems, read
from services.gateway.web.calendar.activities import KINDS, outcome_labels, parse_minutes
from services.gateway.web.common import PageSeller, form_fields
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import render

router = APIRouter(include_in_schema=False)


async def _settings_context(request: Request, user: User) -> dict[str, Any]:
    defaults = await read(request, user, "calendar", "/api/calendar/reminder-defaults")
    types = await read(request, user, "calendar", "/api/calendar/outcome-types")
    return {
        "defaults": {
            kind: ", ".join(str(m) for m in minutes) for kind, minutes in defaults.items()
        },
        "types": types,
        "labels": outcome_labels(types),
        "kinds": KINDS,
        "problems": {},
        "saved": False,
    }


@router.get("/calendar/settings")
async def settings_page(request: Request, user: PageSeller) -> Response:
    """My default reminders; for the administrator, the company's outcome types too."""
    return render(request, "calendar/settings.html", user, **await _settings_context(request, user))


@router.post("/calendar/settings/reminders")
async def save_reminders(request: Request, user: PageSeller) -> Response:
    form = await form_fields(request)
    context = await _settings_context(request, user)
    chosen: dict[str, list[int]] = {}
    for kind in KINDS:
        try:
            chosen[kind] = parse_minutes(form.get(kind, "")) or []
        except ValueError:
            context["problems"][kind] = _("Minutes before the start, separated by commas.")
    if not context["problems"]:
        path = "/api/calendar/reminder-defaults"
        answer = await ask(request, user, "calendar", "PUT", path, json=chosen)
        if answer.status_code == 200:
            context.update(await _settings_context(request, user), saved=True)
        else:
            context["problems"] = problems(answer)
    if context["problems"]:
        context["defaults"] = {kind: form.get(kind, "") for kind in KINDS}
    status_code = 422 if context["problems"] else 200
    return render(request, "calendar/settings.html", user, status_code=status_code, **context)


@router.post("/calendar/settings/outcome-types")
async def add_outcome_type(request: Request, user: PageSeller) -> Response:
    form = await form_fields(request)
    body = {"code": form.get("code", "").strip(), "label": form.get("label", "").strip()}
    path = "/api/calendar/outcome-types"
    answer = await ask(request, user, "calendar", "POST", path, json=body)
    context = await _settings_context(request, user)
    if answer.status_code != 201:
        context["problems"] = (
            problems(answer)
            if answer.status_code in (409, 422)
            else {"code": _("Only the administrator defines outcome types.")}
        )
    status_code = 200 if answer.status_code == 201 else 422
    return render(request, "calendar/settings.html", user, status_code=status_code, **context)


@router.post("/calendar/settings/outcome-types/{code}/retire")
async def retire_outcome_type(request: Request, user: PageSeller, code: str) -> Response:
    path = f"/api/calendar/outcome-types/{code}"
    await ask(request, user, "calendar", "DELETE", path)
    return render(request, "calendar/settings.html", user, **await _settings_context(request, user))


@router.post("/calendar/settings/outcome-types/{code}/rename")
async def rename_outcome_type(request: Request, user: PageSeller, code: str) -> Response:
    """The administrator names an outcome type otherwise, a built-in one included."""
    form = await form_fields(request)
    path = f"/api/calendar/outcome-types/{code}"
    body = {"label": form.get("label", "").strip()}
    answer = await ask(request, user, "calendar", "PATCH", path, json=body)
    context = await _settings_context(request, user)
    if answer.status_code != 200:
        refused = "; ".join(problems(answer).values())
        context["problems"] = {f"label-{code}": refused}
    status_code = 200 if answer.status_code == 200 else 422
    return render(request, "calendar/settings.html", user, status_code=status_code, **context)
