"""The administrator's people pages: users, sales groups and departments."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request, Response, status
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy import select

from services.gateway.schemas import DepartmentCreate, TeamCreate, UserCreate
from services.gateway.tables import Department, Team, User
from services.gateway.usecases import people
from services.gateway.web.common import PageAdmin, form_fields
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import complaint, fragment, render, role_label
from shared.deps import Sessions
from shared.errors import Invalid

router = APIRouter(include_in_schema=False)


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
