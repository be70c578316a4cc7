"""The browser pages: sign-in, the desk, the administrator's people pages, language, notifications."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from pydantic import ValidationError
from sqlalchemy import select

from services.gateway.identity import SESSION_COOKIE, presented_token, signed_in_user
from services.gateway.notifications import NotificationHub, unread_count
from services.gateway.schemas import DepartmentCreate, TeamCreate, UserCreate
from services.gateway.tables import Department, Team, User
from services.gateway.usecases import auth, people
from services.gateway.usecases.auth import SESSION_TTL
from services.gateway.web.i18n import LOCALES
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import complaint, fragment, render, role_label, use_locale
from shared.deps import Sessions
from shared.errors import Invalid

router = APIRouter(include_in_schema=False)

KEEP_ALIVE_SECONDS = 15


class SignInFirst(Exception):
    """A page needs a signed-in user; answered with a redirect to /login."""


async def page_user(request: Request) -> User:
    """The signed-in user of a page; their language holds for everything the page says."""
    user = await signed_in_user(request)
    if user is None:
        raise SignInFirst
    use_locale(request, user)
    return user


async def page_admin(user: Annotated[User, Depends(page_user)]) -> User:
    if user.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only an administrator may open this page")
    return user


PageUser = Annotated[User, Depends(page_user)]
PageAdmin = Annotated[User, Depends(page_admin)]


async def form_fields(request: Request, *, drop_blank: bool = False) -> dict[str, str]:
    """The fields of the submitted form as text; with `drop_blank`, the empty ones left out."""
    fields = {key: str(value) for key, value in (await request.form()).items()}
    return {key: value for key, value in fields.items() if value != ""} if drop_blank else fields


def redirect(request: Request, to: str) -> Response:
    """A redirect that also works for HTMX requests (which follow `HX-Redirect`)."""
    if request.headers.get("HX-Request"):
        return Response(status_code=status.HTTP_204_NO_CONTENT, headers={"HX-Redirect": to})
    return RedirectResponse(to, status.HTTP_303_SEE_OTHER)


@router.get("/login")
async def login_page(request: Request) -> Response:
    if await signed_in_user(request):
        return redirect(request, "/")
    return render(request, "login.html", None)


@router.post("/login")
async def login(
    request: Request,
    sessions: Sessions,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Response:
    try:
        _user, token = await auth.sign_in(sessions, email=email, password=password)
    except auth.InvalidCredentials:
        use_locale(request, None)  # the message below in the visitor's language
        return HTMLResponse(_("Wrong e-mail or password."), status.HTTP_401_UNAUTHORIZED)
    except auth.Throttled:
        use_locale(request, None)
        return HTMLResponse(
            _("Too many failed attempts. Try again later."), status.HTTP_429_TOO_MANY_REQUESTS
        )
    response = redirect(request, "/")
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies or request.url.scheme == "https",
    )
    return response


@router.post("/logout")
async def logout(request: Request, sessions: Sessions) -> Response:
    if token := presented_token(request):
        await auth.sign_out(sessions, token)
    response = redirect(request, "/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/preferences/locale")
async def choose_locale(
    request: Request, sessions: Sessions, locale: Annotated[str, Form()]
) -> Response:
    if locale not in LOCALES:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"language must be one of {LOCALES}"
        )
    if user := await signed_in_user(request):
        await people.update_user(sessions, user.id, {"locale": locale})
    response = Response(status_code=status.HTTP_204_NO_CONTENT, headers={"HX-Refresh": "true"})
    response.set_cookie("crm_locale", locale, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/")
async def desk(request: Request, user: PageUser) -> Response:
    return render(request, "desk.html", user)


async def _people_lists(sessions: Sessions) -> dict[str, Any]:
    async with sessions() as session:
        users = (await session.scalars(select(User).order_by(User.name))).all()
        teams = (await session.scalars(select(Team).order_by(Team.name))).all()
        departments = (await session.scalars(select(Department).order_by(Department.name))).all()
    return {"users": users, "team_rows": teams, "department_rows": departments}


def _user_form_context(lists: dict[str, Any]) -> dict[str, Any]:
    return {
        "team_names": {team.id: team.name for team in lists["team_rows"]},
        "department_names": {d.id: d.name for d in lists["department_rows"]},
        "teams": [(team.id, team.name) for team in lists["team_rows"]],
        "departments": [(d.id, d.name) for d in lists["department_rows"]],
        "roles": [(role, role_label(role)) for role in ("manager", "head", "staff", "admin")],
        "languages": [("pl", "Polski"), ("en", "English")],
    }


@router.get("/admin/users")
async def users_page(request: Request, user: PageAdmin, sessions: Sessions) -> Response:
    lists = await _people_lists(sessions)
    context = {**lists, **_user_form_context(lists), "errors": {}, "form": {}, "created": None}
    return render(request, "admin/users.html", user, **context)


@router.post("/admin/users")
async def add_user(request: Request, user: PageAdmin, sessions: Sessions) -> Response:
    form = await form_fields(request, drop_blank=True)
    errors, created = {}, None
    try:
        new_user = await people.create_user(
            sessions, **UserCreate.model_validate(form).model_dump()
        )
        form, created = {}, new_user.name
    except ValidationError as invalid:
        errors = _problems(invalid)
    except Invalid as invalid:
        errors = translated(invalid)
    lists = await _people_lists(sessions)
    context = {
        **lists,
        **_user_form_context(lists),
        "errors": errors,
        "form": form,
        "created": created,
    }
    form_html = fragment(request, "admin/_user_form.html", user, **context)
    table = fragment(request, "admin/_user_table.html", user, **context)
    swap = f'<section id="user-table" hx-swap-oob="innerHTML">{table}</section>'
    return HTMLResponse(form_html + swap, status.HTTP_422_UNPROCESSABLE_CONTENT if errors else 200)


def _field_message(error: Any) -> str:
    if error["type"] == "missing":
        return _("Fill this in.")
    return str(error["msg"])


@router.post("/admin/users/{user_id}/active")
async def set_active(
    request: Request,
    user_id: UUID,
    user: PageAdmin,
    sessions: Sessions,
    active: Annotated[bool, Form()],
) -> Response:
    headers = {}
    try:
        await people.update_user(sessions, user_id, {"active": active})
    except Invalid as invalid:
        headers.update(complaint("; ".join(translated(invalid).values())))
    lists = await _people_lists(sessions)
    table = render(request, "admin/_user_table.html", user, **lists, **_user_form_context(lists))
    table.headers.update(headers)
    return table


def _tree(lists: dict[str, Any]) -> list[dict[str, Any]]:
    names = {person.id: person.name for person in lists["users"]}
    sizes: dict[UUID, int] = {}
    for person in lists["users"]:
        if person.team_id and person.active:
            sizes[person.team_id] = sizes.get(person.team_id, 0) + 1
    nodes = {
        team.id: {
            "name": team.name,
            "head": names.get(team.head_id),
            "size": sizes.get(team.id, 0),
            "children": [],
        }
        for team in lists["team_rows"]
    }
    roots: list[dict[str, Any]] = []
    for team in lists["team_rows"]:
        (nodes[team.parent_id]["children"] if team.parent_id in nodes else roots).append(
            nodes[team.id]
        )
    return roots


async def _teams_page(
    request: Request, user: User, sessions: Sessions, errors: dict[str, str], form: dict[str, str]
) -> Response:
    lists = await _people_lists(sessions)
    heads = [(p.id, p.name) for p in lists["users"] if p.role == "head" and p.active]
    parents = [(team.id, team.name) for team in lists["team_rows"]]
    context = {
        "tree": _tree(lists),
        "parents": parents,
        "heads": heads,
        "errors": errors,
        "form": form,
    }
    return render(request, "admin/teams.html", user, status_code=422 if errors else 200, **context)


@router.get("/admin/teams")
async def teams_page(request: Request, user: PageAdmin, sessions: Sessions) -> Response:
    return await _teams_page(request, user, sessions, {}, {})


@router.post("/admin/teams")
async def add_team(request: Request, user: PageAdmin, sessions: Sessions) -> Response:
    form = await form_fields(request, drop_blank=True)
    try:
        body = TeamCreate.model_validate(form)
        async with sessions() as session:
            parent_id = body.parent_id or await people.company_id(session)
        await people.create_team(
            sessions, name=body.name, parent_id=parent_id, head_id=body.head_id
        )
    except ValidationError as invalid:
        return await _teams_page(request, user, sessions, _problems(invalid), form)
    except Invalid as invalid:
        return await _teams_page(request, user, sessions, translated(invalid), form)
    return await _teams_page(request, user, sessions, {}, {})


def translated(invalid: Invalid) -> dict[str, str]:
    """A use case's problems in the reader's language."""
    return {field: _(message) for field, message in invalid.problems.items()}


def _problems(invalid: ValidationError) -> dict[str, str]:
    return {str(error["loc"][0]): _field_message(error) for error in invalid.errors()}


async def _departments_page(
    request: Request, user: User, sessions: Sessions, errors: dict[str, str], form: dict[str, str]
) -> Response:
    lists = await _people_lists(sessions)
    context = {"departments": lists["department_rows"], "errors": errors, "form": form}
    return render(
        request, "admin/departments.html", user, status_code=422 if errors else 200, **context
    )


@router.get("/admin/departments")
async def departments_page(request: Request, user: PageAdmin, sessions: Sessions) -> Response:
    return await _departments_page(request, user, sessions, {}, {})


@router.post("/admin/departments")
async def add_department(request: Request, user: PageAdmin, sessions: Sessions) -> Response:
    form = await form_fields(request, drop_blank=True)
    try:
        await people.create_department(sessions, name=DepartmentCreate.model_validate(form).name)
    except ValidationError as invalid:
        return await _departments_page(request, user, sessions, _problems(invalid), form)
    except Invalid as invalid:
        return await _departments_page(request, user, sessions, translated(invalid), form)
    return await _departments_page(request, user, sessions, {}, {})


@router.get("/notifications/stream")
async def notification_stream(
    request: Request, user: PageUser, sessions: Sessions
) -> StreamingResponse:
    """Server-Sent Events: the unread count at once, then each new notification as it comes."""
    hub: NotificationHub = request.app.state.hub
    queue = hub.subscribe(user.id)

    async def events() -> AsyncIterator[str]:
        try:
            yield f"event: unread\ndata: {json.dumps({'count': await unread_count(sessions, user.id)})}\n\n"
            while not await request.is_disconnected():
                try:
                    payload = await asyncio.wait_for(queue.get(), KEEP_ALIVE_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield f"event: notification\ndata: {payload}\n\n"
        finally:
            hub.unsubscribe(user.id, queue)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
