"""The desk: the page a user starts the day on, arranged by them; each widget loads on its own."""

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import HTMLResponse

from services.gateway.domain.desk import CATALOGUE, Placed, available
from services.gateway.domain.people import ROLES
from services.gateway.identity import desk_viewer
from services.gateway.tables import User
from services.gateway.usecases import desk as usecases
from services.gateway.usecases.widgets import fill
from services.gateway.web.backend import service_label
from services.gateway.web.common import PageAdmin, PageUser, form_fields, redirect
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import fragment, render, role_label
from shared.text import first_line

router = APIRouter(include_in_schema=False)


async def _layout(request: Request, user: User) -> usecases.Desk:
    return await usecases.desk_of(request.app.state.sessions, user_id=user.id, role=user.role)


@router.get("/")
async def desk(request: Request, user: PageUser) -> Response:
    """The frame of the desk: each widget's place, loaded by the widget itself."""
    found = await _layout(request, user)
    placed = {widget.name for widget in found.widgets}
    context: dict[str, Any] = {
        "widgets": [(widget, CATALOGUE[widget.name]) for widget in found.widgets],
        "catalogue": [widget for widget in available(user.role) if widget.name not in placed],
        "own": found.own,
        "roles": [(role, role_label(role)) for role in ROLES],
    }
    return render(request, "desk/desk.html", user, **context)


@router.get("/desk/widgets/{name}")
async def widget(request: Request, user: PageUser, name: str) -> Response:
    """One widget's body; a notice naming the service when it did not answer in time."""
    found = CATALOGUE.get(name)
    if found is None or user.role not in found.roles:
        return HTMLResponse(_("This widget is not available."), status.HTTP_404_NOT_FOUND)
    filled = await fill(
        await desk_viewer(request, user),
        name,
        now=datetime.now(UTC),
        timeout=request.app.state.settings.desk_timeout,
    )
    if filled.status != "ok":
        services = ", ".join(service_label(service) for service in filled.unavailable)
        return HTMLResponse(fragment(request, "desk/_unavailable.html", user, services=services))
    context = dict(filled.data)
    if name == "shortcuts":
        context["shortcuts"] = (await _layout(request, user)).shortcuts
    if name == "latest_posts":
        context["items"] = [
            {**post, "title": first_line(post["text"]) or "…"} for post in context["items"]
        ]
    return HTMLResponse(fragment(request, f"desk/widgets/{name}.html", user, **context))


def _chosen(fields: list[str]) -> list[Placed]:
    """The layout the page sends: `name:size` in order (the page's drag and keys)."""
    placed = []
    for field in fields:
        name, _, size = field.partition(":")
        placed.append(Placed(name, int(size) if size.isdecimal() else CATALOGUE[name].size))
    return placed


async def _save(request: Request, user: User, widgets: list[Placed]) -> None:
    sessions = request.app.state.sessions
    await usecases.save_layout(sessions, user_id=user.id, role=user.role, widgets=widgets)


@router.post("/desk/layout")
async def arrange(request: Request, user: PageUser) -> Response:
    """Keep the order and sizes the page shows after a drag, a key or a resize."""
    form = await request.form()
    widgets = [str(value) for value in form.getlist("widgets")]
    if any(w.partition(":")[0] not in CATALOGUE for w in widgets):
        return HTMLResponse(
            _("This widget is not available."), status.HTTP_422_UNPROCESSABLE_CONTENT
        )
    await _save(request, user, _chosen(widgets))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/desk/widgets")
async def add(request: Request, user: PageUser) -> Response:
    """Add a widget of the catalogue at the end of the desk."""
    name = (await form_fields(request)).get("name", "")
    found = await _layout(request, user)
    widget = CATALOGUE.get(name)
    if widget is not None and all(placed.name != name for placed in found.widgets):
        await _save(request, user, [*found.widgets, Placed(name, widget.size)])
    return redirect(request, "/")


@router.post("/desk/widgets/{name}/remove")
async def remove(request: Request, user: PageUser, name: str) -> Response:
    found = await _layout(request, user)
    await _save(request, user, [placed for placed in found.widgets if placed.name != name])
    return redirect(request, "/")


@router.post("/desk/reset")
async def reset(request: Request, user: PageUser) -> Response:
    """Back to the desk the administrator set for the role."""
    await usecases.reset_layout(request.app.state.sessions, user_id=user.id)
    return redirect(request, "/")


@router.post("/desk/defaults")
async def make_default(request: Request, user: PageAdmin) -> Response:
    """The administrator's own desk, as it is, becomes the default of a role."""
    role = (await form_fields(request)).get("role", "")
    found = await _layout(request, user)
    widgets = [placed for placed in found.widgets if role in CATALOGUE[placed.name].roles]
    await usecases.set_role_default(request.app.state.sessions, role=role, widgets=widgets)
    message = _("This desk is now the default for: %(role)s.") % {"role": role_label(role)}
    return Response(
        status_code=status.HTTP_204_NO_CONTENT,
        headers={"HX-Trigger": json.dumps({"crm:told": message})},
    )


@router.post("/desk/shortcuts")
async def pin(request: Request, user: PageUser) -> Response:
    """Pin the open page (a list with its filters too) to the desk's shortcuts."""
    fields = await form_fields(request)
    await usecases.pin_shortcut(
        request.app.state.sessions,
        user_id=user.id,
        label=fields.get("label", "")[:100] or _("Shortcut"),
        url=fields.get("url", ""),
    )
    message = _("Pinned to your desk.")
    return Response(
        status_code=status.HTTP_204_NO_CONTENT,
        headers={"HX-Trigger": json.dumps({"crm:told": message})},
    )


@router.post("/desk/shortcuts/{shortcut_id}/remove")
async def unpin(request: Request, user: PageUser, shortcut_id: str) -> Response:
    await usecases.unpin_shortcut(
        request.app.state.sessions, user_id=user.id, shortcut_id=shortcut_id
    )
    return redirect(request, "/")
