"""The administrator's sales groups: the tree, a new group, a group's page to change it."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import ValidationError

from services.gateway.domain.teams import subtree
from services.gateway.schemas import TeamCreate, TeamUpdate
from services.gateway.tables import Team, User
from services.gateway.usecases import people as usecases
from services.gateway.web.admin.forms import (
    People,
    blank_is_none,
    field_problems,
    people,
    translated,
)
from services.gateway.web.common import PageAdmin, form_fields, redirect
from services.gateway.web.rendering import render
from shared.deps import Sessions
from shared.errors import Invalid

router = APIRouter(include_in_schema=False)


def _tree(found: People) -> list[dict[str, Any]]:
    names = {person.id: person.name for person in found.users}
    sizes: dict[UUID, int] = {}
    for person in found.users:
        if person.team_id and person.active:
            sizes[person.team_id] = sizes.get(person.team_id, 0) + 1
    nodes: dict[UUID, dict[str, Any]] = {
        team.id: {
            "id": team.id,
            "name": team.name,
            "head": names.get(team.head_id) if team.head_id else None,
            "size": sizes.get(team.id, 0),
            "children": [],
        }
        for team in found.teams
    }
    roots: list[dict[str, Any]] = []
    for team in found.teams:
        (nodes[team.parent_id]["children"] if team.parent_id in nodes else roots).append(
            nodes[team.id]
        )
    return roots


async def _teams_page(
    request: Request, user: User, sessions: Sessions, errors: dict[str, str], form: dict[str, Any]
) -> Response:
    found = await people(sessions)
    context = {
        "tree": _tree(found),
        "parents": [(team.id, team.name) for team in found.teams],
        "heads": found.leaders(),
        "errors": errors,
        "form": form,
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if errors else status.HTTP_200_OK
    return render(request, "admin/teams.html", user, status_code=code, **context)


@router.get("/admin/teams")
async def teams_page(request: Request, user: PageAdmin, sessions: Sessions) -> Response:
    return await _teams_page(request, user, sessions, {}, {})


@router.post("/admin/teams")
async def add_team(request: Request, user: PageAdmin, sessions: Sessions) -> Response:
    form = await form_fields(request, drop_blank=True)
    try:
        body = TeamCreate.model_validate(form)
        async with sessions() as session:
            parent_id = body.parent_id or await usecases.company_id(session)
        await usecases.create_team(
            sessions, name=body.name, parent_id=parent_id, head_id=body.head_id
        )
    except ValidationError as invalid:
        return await _teams_page(request, user, sessions, field_problems(invalid), form)
    except Invalid as invalid:
        return await _teams_page(request, user, sessions, translated(invalid), form)
    return await _teams_page(request, user, sessions, {}, {})


async def _team_page(
    request: Request,
    user: User,
    sessions: Sessions,
    team: Team,
    form: dict[str, Any],
    errors: dict[str, str],
) -> Response:
    found = await people(sessions)
    below = subtree(team.id, {t.id: t.parent_id for t in found.teams})
    context = {
        "team": team,
        # A group moves anywhere but under itself or its own subgroups; the company stays the root.
        "parents": [(t.id, t.name) for t in found.teams if t.id not in below],
        "heads": found.leaders(),
        "members": [u for u in found.users if u.team_id == team.id],
        "form": form,
        "errors": errors,
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if errors else status.HTTP_200_OK
    return render(request, "admin/team.html", user, status_code=code, **context)


async def _team(sessions: Sessions, team_id: UUID) -> Team:
    async with sessions() as session:
        team = await session.get(Team, team_id)
    if team is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return team


@router.get("/admin/teams/{team_id}")
async def team_page(
    request: Request, team_id: UUID, user: PageAdmin, sessions: Sessions
) -> Response:
    team = await _team(sessions, team_id)
    form = {"name": team.name, "parent_id": team.parent_id, "head_id": team.head_id}
    return await _team_page(request, user, sessions, team, form, {})


@router.post("/admin/teams/{team_id}")
async def change_team(
    request: Request, team_id: UUID, user: PageAdmin, sessions: Sessions
) -> Response:
    """Rename the group, move it, or change its head; the tree again, or what is wrong."""
    team = await _team(sessions, team_id)
    submitted = await form_fields(request)
    names = ("name", "head_id") if team.parent_id is None else ("name", "parent_id", "head_id")
    form = blank_is_none({k: v for k, v in submitted.items() if k in names}, "head_id")
    try:
        changes = TeamUpdate.model_validate(form).model_dump(exclude_unset=True)
        await usecases.update_team(sessions, team_id, changes)
    except ValidationError as invalid:
        return await _team_page(request, user, sessions, team, form, field_problems(invalid))
    except Invalid as invalid:
        return await _team_page(request, user, sessions, team, form, translated(invalid))
    return redirect(request, "/admin/teams")
