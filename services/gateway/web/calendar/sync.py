"""The calendar on a phone: the private iCalendar address, the app password for calendar apps
(CalDAV), and importing `.ics` files."""

from typing import Any

import segno
from fastapi import APIRouter, Request, Response, UploadFile

from services.gateway.backends import origin
from services.gateway.tables import User
from services.gateway.usecases.auth import create_api_token
from services.gateway.web.backend import ask, problems, read
from services.gateway.web.common import PageSeller
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import render

router = APIRouter(include_in_schema=False)


async def _sync_context(request: Request, user: User) -> dict[str, Any]:
    feeds = await read(request, user, "calendar", "/api/calendar/feed")
    return {
        "feeds": feeds,
        "personal": next((f for f in feeds if f["team_id"] is None), None),
        "group_feed": next((f for f in feeds if f["team_id"] is not None), None),
        "may_group": user.role == "head" and user.team_id is not None,
        "address": None,
        "qr": None,
        "imported": None,
        "problems": {},
        "server": "{x-forwarded-proto}://{x-forwarded-host}/".format_map(origin(request)),
        "app_password": None,
    }


@router.get("/calendar/sync")
async def sync_page(request: Request, user: PageSeller) -> Response:
    """Subscribe on a phone or in a calendar app, and import `.ics` files."""
    return render(request, "calendar/sync.html", user, **await _sync_context(request, user))


@router.post("/calendar/feed")
async def create_feed(request: Request, user: PageSeller) -> Response:
    form = await request.form()
    body = {"team_id": str(user.team_id)} if form.get("scope") == "group" and user.team_id else {}
    answer = await ask(request, user, "calendar", "POST", "/api/calendar/feed", json=body)
    context = await _sync_context(request, user)
    if answer.status_code == 201:
        address = answer.json()
        context["address"] = address
        context["address_for"] = "group" if body else "personal"
        context["qr"] = segno.make(address["webcal"], error="m").svg_data_uri(scale=4)
    else:
        where = "group_feed" if body else "feed"
        context["problems"] = {where: _("The address could not be made.")}
    return render(request, "calendar/sync.html", user, **context)


@router.post("/calendar/app-password")
async def make_app_password(request: Request, user: PageSeller) -> Response:
    """A personal API token for a calendar app (CalDAV), shown once."""
    _token, secret = await create_api_token(
        request.app.state.sessions, user_id=user.id, name=_("Calendar app")
    )
    context = await _sync_context(request, user)
    context["app_password"] = secret
    return render(request, "calendar/sync.html", user, **context)


@router.post("/calendar/feed/revoke")
async def revoke_feed(request: Request, user: PageSeller) -> Response:
    form = await request.form()
    params = {"team_id": str(user.team_id)} if form.get("scope") == "group" and user.team_id else {}
    await ask(request, user, "calendar", "DELETE", "/api/calendar/feed", params=params)
    return render(request, "calendar/sync.html", user, **await _sync_context(request, user))


@router.post("/calendar/import")
async def import_file(request: Request, user: PageSeller, file: UploadFile) -> Response:
    data = await file.read(2 * 1024 * 1024 + 1)
    files = {"file": (file.filename or "calendar.ics", data, "text/calendar")}
    answer = await ask(request, user, "calendar", "POST", "/api/calendar/import", files=files)
    context = await _sync_context(request, user)
    if answer.status_code == 200:
        context["imported"] = answer.json()
    else:
        context["problems"] = problems(answer) or {"file": _("The file could not be imported.")}
    return render(request, "calendar/sync.html", user, **context)
