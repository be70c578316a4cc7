"""`/api/desk`: the signed-in user's desk (layout and every widget's data), one widget at a
time, the layout's changes, shortcuts, and the administrator's default per role."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status

from services.gateway.domain.desk import CATALOGUE, Placed, available
from services.gateway.identity import Administrator, CurrentUser, desk_viewer
from services.gateway.schemas import (
    CatalogueEntry,
    DeskLayoutIn,
    DeskLayoutPublic,
    DeskPublic,
    DeskWidgetPublic,
    ShortcutIn,
    ShortcutPublic,
    WidgetPublic,
)
from services.gateway.usecases import desk as usecases
from services.gateway.usecases.widgets import fill, fill_all
from shared.deps import Sessions
from shared.errors import NotFound
from shared.i18n import translate

router = APIRouter(prefix="/api/desk", tags=["desk"])
WidgetName = Annotated[str, Path(max_length=50, description="a widget of the catalogue")]
Role = Annotated[str, Path(max_length=20, examples=["manager"])]


def _placed(layout: DeskLayoutIn) -> list[Placed]:
    return [Placed(widget.name, widget.size) for widget in layout.widgets]


def _layout(widgets: list[Placed]) -> list[DeskWidgetPublic]:
    return [DeskWidgetPublic(name=widget.name, size=widget.size) for widget in widgets]


@router.get("")
async def desk(request: Request, user: CurrentUser, sessions: Sessions) -> DeskPublic:
    """The desk with every widget's data, read from the services at once; a widget whose
    service does not answer within `GATEWAY_DESK_TIMEOUT` says so, and the rest is filled."""
    found = await usecases.desk_of(sessions, user_id=user.id, role=user.role)
    filled = await fill_all(
        await desk_viewer(request, user),
        [widget.name for widget in found.widgets],
        now=datetime.now(UTC),
        timeout=request.app.state.settings.desk_timeout,
    )
    return DeskPublic(
        widgets=[WidgetPublic(**widget.as_json()) for widget in filled],
        layout=_layout(found.widgets),
        own=found.own,
    )


@router.get("/layout")
async def layout(user: CurrentUser, sessions: Sessions) -> DeskLayoutPublic:
    """The desk's arrangement and the catalogue of widgets the caller may add."""
    found = await usecases.desk_of(sessions, user_id=user.id, role=user.role)
    catalogue = [
        CatalogueEntry(
            name=widget.name,
            label=translate(widget.label, user.locale),
            hint=translate(widget.hint, user.locale),
            services=list(widget.services),
            size=widget.size,
            live=widget.live,
        )
        for widget in available(user.role)
    ]
    return DeskLayoutPublic(widgets=_layout(found.widgets), own=found.own, catalogue=catalogue)


@router.put("/layout")
async def save_layout(
    body: DeskLayoutIn, user: CurrentUser, sessions: Sessions
) -> DeskLayoutPublic:
    """Arrange the desk: these widgets in this order, with these sizes."""
    await usecases.save_layout(sessions, user_id=user.id, role=user.role, widgets=_placed(body))
    return await layout(user, sessions)


@router.delete("/layout")
async def reset_layout(user: CurrentUser, sessions: Sessions) -> DeskLayoutPublic:
    """Back to the role's default desk."""
    await usecases.reset_layout(sessions, user_id=user.id)
    return await layout(user, sessions)


@router.get("/widgets/{name}")
async def widget(name: WidgetName, request: Request, user: CurrentUser) -> WidgetPublic:
    """One widget's data, for a client refreshing it alone."""
    found = CATALOGUE.get(name)
    if found is None or user.role not in found.roles:
        raise NotFound("widget")
    filled = await fill(
        await desk_viewer(request, user),
        name,
        now=datetime.now(UTC),
        timeout=request.app.state.settings.desk_timeout,
    )
    return WidgetPublic(**filled.as_json())


@router.get("/defaults/{role}")
async def role_default(role: Role, _: Administrator, sessions: Sessions) -> list[DeskWidgetPublic]:
    """The desk of everyone of `role` who has not arranged their own."""
    async with sessions() as session:
        return _layout(await usecases.role_default(session, role))


@router.put("/defaults/{role}")
async def set_role_default(
    role: Role, body: DeskLayoutIn, _: Administrator, sessions: Sessions
) -> list[DeskWidgetPublic]:
    return _layout(await usecases.set_role_default(sessions, role=role, widgets=_placed(body)))


@router.get("/shortcuts")
async def shortcuts(user: CurrentUser, sessions: Sessions) -> list[ShortcutPublic]:
    found = await usecases.desk_of(sessions, user_id=user.id, role=user.role)
    return [ShortcutPublic(**shortcut) for shortcut in found.shortcuts]


@router.post("/shortcuts", status_code=status.HTTP_201_CREATED)
async def pin(body: ShortcutIn, user: CurrentUser, sessions: Sessions) -> ShortcutPublic:
    """Pin a page of the CRM (a path, with a list's filters in its query) to the desk."""
    shortcut = await usecases.pin_shortcut(
        sessions, user_id=user.id, label=body.label, url=body.url
    )
    return ShortcutPublic(**shortcut)


@router.delete("/shortcuts/{shortcut_id}", status_code=status.HTTP_204_NO_CONTENT)
async def unpin(
    shortcut_id: Annotated[str, Path(max_length=50)], user: CurrentUser, sessions: Sessions
) -> Response:
    await usecases.unpin_shortcut(sessions, user_id=user.id, shortcut_id=shortcut_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
