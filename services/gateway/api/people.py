"""`/api/me`, `/api/users`, `/api/teams`, `/api/departments`: who works here and where."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Request, status
from sqlalchemy import func, or_, select

from services.gateway.domain.people import Role
from services.gateway.identity import Administrator, CurrentUser, identity_of, presented_token
from services.gateway.schemas import (
    DepartmentCreate,
    DepartmentPublic,
    DepartmentUpdate,
    MeUpdate,
    PasswordChange,
    TeamCreate,
    TeamPublic,
    TeamUpdate,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from services.gateway.tables import Department, Team, User
from services.gateway.usecases import people
from shared.deps import Sessions
from shared.errors import Invalid, NotFound
from shared.pagination import (
    Cursor,
    Limit,
    Page,
    UpdatedSince,
    changes,
    changes_page,
    keyset,
    page_of,
)
from shared.text import N_

router = APIRouter(prefix="/api", tags=["people"])


@router.get("/me")
async def me(user: CurrentUser) -> UserPublic:
    return UserPublic.model_validate(user)


@router.patch("/me")
async def update_me(body: MeUpdate, user: CurrentUser, sessions: Sessions) -> UserPublic:
    changes = body.model_dump(exclude_unset=True)
    return UserPublic.model_validate(await people.update_user(sessions, user.id, changes))


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_my_password(
    body: PasswordChange, request: Request, user: CurrentUser, sessions: Sessions
) -> None:
    """Set a new password, naming the current one; every other session and personal API token
    of yours ends, the one this was sent with stays."""
    await people.change_own_password(
        sessions,
        user,
        current=body.current_password,
        new=body.new_password,
        keep_token=presented_token(request),
    )


@router.post("/users", status_code=status.HTTP_201_CREATED)
async def create_user(body: UserCreate, _: Administrator, sessions: Sessions) -> UserPublic:
    return UserPublic.model_validate(await people.create_user(sessions, **body.model_dump()))


@router.get("/users")
async def list_users(
    user: CurrentUser,
    sessions: Sessions,
    role: Role | None = None,
    team_id: UUID | None = None,
    active: bool | None = None,
    q: Annotated[str | None, Query(max_length=100, description="part of a name or e-mail")] = None,
    updated_since: UpdatedSince = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[UserPublic]:
    """Admin: everybody; a head: the people of the group's subtree; by name. With
    `updated_since`, those changed since (deactivated ones too, unless `active`), in order of
    change."""
    query = select(User)
    if user.role == "head":
        query = query.where(User.team_id.in_(await _visible_teams(sessions, user)))
    elif user.role != "admin":
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "only an administrator or a head may list users"
        )
    if role:
        query = query.where(User.role == role)
    if team_id:
        query = query.where(User.team_id == team_id)
    if active is not None:
        query = query.where(User.active.is_(active))
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(
            or_(func.lower(User.name).like(pattern), func.lower(User.email).like(pattern))
        )
    if updated_since is not None:
        query = changes(
            query, User.updated_at, User.id, since=updated_since, cursor=cursor, limit=limit
        )
    else:
        query = keyset(query, (User.name, User.id), cursor=cursor, types=(str, UUID), limit=limit)
    async with sessions() as session:
        rows = (await session.scalars(query)).all()
    users = [UserPublic.model_validate(row) for row in rows]
    if updated_since is not None:
        return changes_page(users, limit)
    return page_of(users, limit, key=lambda found: (found.name, found.id))


@router.get("/users/{user_id}")
async def get_user(user_id: UUID, user: CurrentUser, sessions: Sessions) -> UserPublic:
    async with sessions() as session:
        found = await session.get(User, user_id)
    visible = found is not None and (
        user.role == "admin"
        or found.id == user.id
        or (user.role == "head" and found.team_id in await _visible_teams(sessions, user))
    )
    if not visible:
        raise NotFound("user")
    return UserPublic.model_validate(found)


@router.patch("/users/{user_id}")
async def update_user(
    request: Request, user_id: UUID, body: UserUpdate, admin: Administrator, sessions: Sessions
) -> UserPublic:
    """A new password ends the user's other sessions and personal API tokens; deactivation
    ends all of them for good."""
    changes = body.model_dump(exclude_unset=True)
    keep = presented_token(request) if user_id == admin.id else None
    changed = await people.update_user(sessions, user_id, changes, keep_token=keep)
    return UserPublic.model_validate(changed)


async def _visible_teams(sessions: Sessions, user: User) -> set[UUID]:
    identity = await identity_of(sessions, user)
    return {UUID(team) for team in identity.team_ids}


@router.get("/teams")
async def list_teams(
    _: CurrentUser, sessions: Sessions, updated_since: UpdatedSince = None
) -> list[TeamPublic]:
    """The whole group tree (names are not secret) by name; the company has no parent. With
    `updated_since`, only the groups changed since, in order of change (one list: no pages)."""
    query = select(Team).order_by(Team.name)
    if updated_since is not None:
        query = select(Team).where(Team.updated_at >= updated_since)
        query = query.order_by(Team.updated_at, Team.id)
    async with sessions() as session:
        teams = (await session.scalars(query)).all()
    return [TeamPublic.model_validate(team) for team in teams]


@router.post("/teams", status_code=status.HTTP_201_CREATED)
async def create_team(body: TeamCreate, _: Administrator, sessions: Sessions) -> TeamPublic:
    parent_id = body.parent_id
    if parent_id is None:
        async with sessions() as session:
            parent_id = await people.company_id(session)
    team = await people.create_team(
        sessions, name=body.name, parent_id=parent_id, head_id=body.head_id
    )
    return TeamPublic.model_validate(team)


@router.patch("/teams/{team_id}")
async def update_team(
    team_id: UUID, body: TeamUpdate, _: Administrator, sessions: Sessions
) -> TeamPublic:
    team = await people.update_team(sessions, team_id, body.model_dump(exclude_unset=True))
    return TeamPublic.model_validate(team)


@router.get("/departments")
async def list_departments(
    _: CurrentUser, sessions: Sessions, updated_since: UpdatedSince = None
) -> list[DepartmentPublic]:
    """Every department by name; with `updated_since`, only those changed since, in order of
    change (one list: no pages)."""
    query = select(Department).order_by(Department.name)
    if updated_since is not None:
        query = select(Department).where(Department.updated_at >= updated_since)
        query = query.order_by(Department.updated_at, Department.id)
    async with sessions() as session:
        departments = (await session.scalars(query)).all()
    return [DepartmentPublic.model_validate(department) for department in departments]


@router.post("/departments", status_code=status.HTTP_201_CREATED)
async def create_department(
    body: DepartmentCreate, _: Administrator, sessions: Sessions
) -> DepartmentPublic:
    hours = body.model_dump()["working_hours"]
    department = await people.create_department(sessions, name=body.name, working_hours=hours)
    return DepartmentPublic.model_validate(department)


@router.patch("/departments/{department_id}")
async def update_department(
    department_id: UUID, body: DepartmentUpdate, _: Administrator, sessions: Sessions
) -> DepartmentPublic:
    """Rename it, name its head (one of its staff; null: none), change its working hours."""
    changes = body.model_dump(exclude_unset=True)
    for required in ("name", "working_hours"):
        if required in changes and changes[required] is None:
            raise Invalid({required: N_("may not be null")})
    department = await people.update_department(sessions, department_id, changes)
    return DepartmentPublic.model_validate(department)
