"""Users, sales groups and departments: created and changed by the administrator."""

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.callers import forget_callers
from services.gateway.credentials import hash_password, verify_password
from services.gateway.domain.people import (
    Role,
    may_lead,
    normalize_email,
    password_problem,
    placement_problems,
    time_zone_problem,
)
from services.gateway.domain.teams import creates_cycle
from services.gateway.tables import Department, Team, User
from services.gateway.usecases.auth import end_credentials
from shared.contracts.gateway import (
    DepartmentChanged,
    TeamChanged,
    UserCreated,
    UserUpdated,
    WorkingDay,
)
from shared.db import SessionFactory, unit_of_work
from shared.errors import Conflict, Invalid, NotFound
from shared.events import new_event
from shared.i18n import translate
from shared.outbox import add_event
from shared.text import N_

COMPANY_NAME = N_("Company")  # the root group, named in the first administrator's language
_FIRST_START_LOCK = 0x61646D  # "adm"


def user_snapshot(user: User) -> dict[str, Any]:
    return {
        "user_id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "team_id": user.team_id,
        "department_id": user.department_id,
        "locale": user.locale,
        "time_zone": user.time_zone,
        "active": user.active,
    }


def team_state(team: Team) -> TeamChanged:
    return TeamChanged(
        team_id=team.id, name=team.name, parent_id=team.parent_id, head_id=team.head_id
    )


async def _team_change(session: AsyncSession, team: Team) -> None:
    await add_event(session, new_event(team_state(team), subject=team.id))
    await forget_callers(session, None)  # a head's identity names the groups under theirs


async def _check_placement(
    session: AsyncSession,
    role: Role,
    team_id: UUID | None,
    department_id: UUID | None,
    time_zone: str,
) -> None:
    problems = placement_problems(role, department_id=department_id)
    if team_id is not None and await session.get(Team, team_id) is None:
        problems["team_id"] = N_("no such sales group")
    if department_id is not None and await session.get(Department, department_id) is None:
        problems["department_id"] = N_("no such department")
    if problem := time_zone_problem(time_zone):
        problems["time_zone"] = problem
    if problems:
        raise Invalid(problems)


async def _email_taken(session: AsyncSession, email: str, but: UUID | None = None) -> bool:
    query = select(User.id).where(func.lower(User.email) == email)
    if but is not None:
        query = query.where(User.id != but)
    return await session.scalar(query) is not None


async def create_user(
    sessions: SessionFactory,
    *,
    email: str,
    name: str,
    password: str,
    role: Role,
    team_id: UUID | None = None,
    department_id: UUID | None = None,
    locale: str = "pl",
    time_zone: str = "Europe/Warsaw",
) -> User:
    """Add a user and announce the snapshot with `crm.user.created.v1`."""
    if problem := password_problem(password):
        raise Invalid({"password": problem})
    email = normalize_email(email)
    async with unit_of_work(sessions) as session:
        if await _email_taken(session, email):
            raise Conflict({"email": N_("a user with this e-mail exists")})
        await _check_placement(session, role, team_id, department_id, time_zone)
        user = User(
            email=email,
            name=name,
            password_hash=await asyncio.to_thread(hash_password, password),
            role=role,
            team_id=team_id,
            department_id=department_id,
            locale=locale,
            time_zone=time_zone,
            active=True,
        )
        session.add(user)
        await session.flush()
        await add_event(session, new_event(UserCreated(**user_snapshot(user)), subject=user.id))
    return user


async def update_user(
    sessions: SessionFactory,
    user_id: UUID,
    changes: dict[str, Any],
    *,
    keep_token: str | None = None,
) -> User:
    """Change a user; emits `crm.user.updated.v1`. A new password ends their sessions and
    personal API tokens but `keep_token` (the one the change was made with); deactivation ends
    all of them for good, so reactivating brings none back."""
    async with unit_of_work(sessions) as session:
        user = await session.get(User, user_id, with_for_update=True)
        if user is None:
            raise NotFound("user")
        if "email" in changes:
            changes["email"] = normalize_email(changes["email"])
            if await _email_taken(session, changes["email"], but=user_id):
                raise Conflict({"email": N_("a user with this e-mail exists")})
        new_password = "password" in changes
        if new_password:
            password = changes.pop("password")
            if problem := password_problem(password):
                raise Invalid({"password": problem})
            user.password_hash = await asyncio.to_thread(hash_password, password)
        for field, value in changes.items():
            setattr(user, field, value)
        with session.no_autoflush:  # an unknown group or department is a 422, not a refused row
            await _check_placement(
                session,
                user.role,  # type: ignore[arg-type]
                user.team_id,
                user.department_id,
                user.time_zone,
            )
        await _keep_an_administrator(session)
        await _drop_headships_left_behind(session, user)
        if not user.active:
            await end_credentials(session, user_id)
        elif new_password:
            await end_credentials(session, user_id, but=keep_token)
        await session.flush()
        await add_event(session, new_event(UserUpdated(**user_snapshot(user)), subject=user.id))
        await forget_callers(session, user_id)
    return user


async def _keep_an_administrator(session: AsyncSession) -> None:
    await session.flush()
    admins = select(func.count()).where(User.role == "admin", User.active.is_(True))
    if not await session.scalar(admins):
        raise Invalid(
            {"active": N_("the last active administrator must stay an active administrator")}
        )


async def create_team(
    sessions: SessionFactory, *, name: str, parent_id: UUID, head_id: UUID | None = None
) -> Team:
    """Add a sales group under `parent_id`, led by `head_id` if named; emits `crm.team.changed.v1`."""
    async with unit_of_work(sessions) as session:
        await _check_team_links(session, parent_id=parent_id, head_id=head_id)
        await _check_team_name(session, name)
        team = Team(name=name, parent_id=parent_id)
        session.add(team)
        await session.flush()
        if head_id is not None:
            await _lead(session, team, head_id)
        await _team_change(session, team)
    return team


async def update_team(sessions: SessionFactory, team_id: UUID, changes: dict[str, Any]) -> Team:
    """Rename a group, move it under another parent, or give it a head (or none)."""
    async with unit_of_work(sessions) as session:
        team = await session.get(Team, team_id, with_for_update=True)
        if team is None:
            raise NotFound("sales group")
        parent_id = changes.get("parent_id", team.parent_id)
        if team.parent_id is None and parent_id is not None:
            raise Invalid({"parent_id": N_("the company is the root; it has no parent")})
        if team.parent_id is not None and parent_id is None:
            raise Invalid({"parent_id": N_("a sales group needs a parent")})
        await _check_team_links(session, parent_id=parent_id, head_id=changes.get("head_id"))
        if parent_id is not None and creates_cycle(team_id, parent_id, await team_parents(session)):
            raise Invalid(
                {"parent_id": N_("a group cannot be moved under itself or its subgroups")}
            )
        if "name" in changes:
            await _check_team_name(session, changes["name"], but=team_id)
        head_id = changes.pop("head_id", team.head_id)
        for field, value in changes.items():
            setattr(team, field, value)
        if head_id is None:
            team.head_id = None
        elif head_id != team.head_id:
            await _lead(session, team, head_id)
        await session.flush()
        await _team_change(session, team)
    return team


async def _lead(session: AsyncSession, team: Team, head_id: UUID) -> None:
    """`head_id` heads `team`: a head sees the subtree of their own group, so they are placed
    in it, and they head no other group (each change announced)."""
    team.head_id = head_id
    head = await session.get(User, head_id, with_for_update=True)
    assert head is not None  # checked by _check_team_links
    if head.team_id != team.id:
        head.team_id = team.id
        await session.flush()
        await add_event(session, new_event(UserUpdated(**user_snapshot(head)), subject=head.id))
    others = select(Team).where(Team.head_id == head_id, Team.id != team.id)
    for other in await session.scalars(others.with_for_update()):
        other.head_id = None
        await _team_change(session, other)


async def _drop_headships_left_behind(session: AsyncSession, user: User) -> None:
    """A user moved to another group, or no longer a head, heads no group they left."""
    led = select(Team).where(Team.head_id == user.id).with_for_update()
    for team in await session.scalars(led):
        if team.id != user.team_id or not may_lead(user.role):
            team.head_id = None
            await _team_change(session, team)


async def _check_team_links(
    session: AsyncSession, *, parent_id: UUID | None, head_id: UUID | None
) -> None:
    problems = {}
    if parent_id is not None and await session.get(Team, parent_id) is None:
        problems["parent_id"] = N_("no such sales group")
    if head_id is not None:
        head = await session.get(User, head_id)
        if head is None or not head.active or not may_lead(head.role):
            problems["head_id"] = N_("the head must be an active user with the head role")
    if problems:
        raise Invalid(problems)


async def team_parents(session: AsyncSession) -> dict[UUID, UUID | None]:
    return {row.id: row.parent_id for row in await session.execute(select(Team.id, Team.parent_id))}


DEFAULT_WORKING_HOURS: list[dict[str, str] | None] = [
    *[{"start": "08:00", "end": "16:00"}] * 5,
    None,
    None,
]


async def _department_change(session: AsyncSession, department: Department) -> None:
    """Tell the other services the department as it now stands (knowledge: the SLA's hours)."""
    await add_event(session, new_event(department_state(department), subject=department.id))


def department_state(department: Department) -> DepartmentChanged:
    return DepartmentChanged(
        department_id=department.id,
        name=department.name,
        head_id=department.head_id,
        working_hours=[WorkingDay(**day) if day else None for day in department.working_hours],
    )


async def _check_head(session: AsyncSession, department_id: UUID, head_id: UUID | None) -> None:
    """A department's head is one of its active staff."""
    if head_id is None:
        return
    head = await session.get(User, head_id)
    if head is None or not head.active or head.department_id != department_id:
        raise Invalid({"head_id": N_("choose an active member of the department's staff")})


async def create_department(
    sessions: SessionFactory,
    *,
    name: str,
    working_hours: list[dict[str, str] | None] | None = None,
) -> Department:
    """A new department (its head comes once it has staff), working 8-16 Monday to Friday
    unless said otherwise."""
    async with unit_of_work(sessions) as session:
        await _check_department_name(session, name)
        department = Department(
            id=uuid4(), name=name, working_hours=working_hours or DEFAULT_WORKING_HOURS
        )
        session.add(department)
        await session.flush()
        await _department_change(session, department)
    return department


async def update_department(
    sessions: SessionFactory, department_id: UUID, changes: dict[str, Any]
) -> Department:
    """Rename a department (names stay unique whatever their case), name its head, change its
    working hours."""
    async with unit_of_work(sessions) as session:
        department = await session.get(Department, department_id, with_for_update=True)
        if department is None:
            raise NotFound("department")
        if "name" in changes:
            await _check_department_name(session, changes["name"], but=department_id)
        if "head_id" in changes:
            await _check_head(session, department_id, changes["head_id"])
        for name, value in changes.items():
            setattr(department, name, value)
        await session.flush()
        await _department_change(session, department)
    return department


async def _check_team_name(session: AsyncSession, name: str, but: UUID | None = None) -> None:
    """Groups are chosen by name in every list: two of one name could not be told apart."""
    await _name_free(session, Team, name, but, N_("a sales group with this name exists"))


async def _check_department_name(session: AsyncSession, name: str, but: UUID | None = None) -> None:
    await _name_free(session, Department, name, but, N_("a department with this name exists"))


async def _name_free(
    session: AsyncSession, table: type[Team | Department], name: str, but: UUID | None, taken: str
) -> None:
    """No other row of `table` has `name`, case aside (409 with `taken` otherwise)."""
    found = select(table.id).where(func.lower(table.name) == name.lower())
    if but is not None:
        found = found.where(table.id != but)
    if await session.scalar(found):
        raise Conflict({"name": taken})


@dataclass(frozen=True)
class FirstAdministrator:
    """The administrator a first start created; the password only when it was generated."""

    email: str
    generated_password: str | None


async def ensure_company_and_admin(
    sessions: SessionFactory, *, email: str | None, password: str | None, locale: str = "pl"
) -> FirstAdministrator | None:
    """On first start: the company group and the first administrator.

    Replicas starting together take turns (an advisory lock), so there is one of each.
    Returns the administrator when this call created it (None when there were users already).
    """
    generated = password is None
    email = email or "admin@example.com"
    password = password or secrets.token_urlsafe(12)
    async with unit_of_work(sessions) as session:
        await session.execute(select(func.pg_advisory_xact_lock(_FIRST_START_LOCK)))
        if await session.scalar(select(Team.id).where(Team.parent_id.is_(None))) is None:
            company = Team(name=translate(COMPANY_NAME, locale), parent_id=None)
            session.add(company)
            await session.flush()
            await _team_change(session, company)
        if await session.scalar(select(func.count()).select_from(User)):
            return None
        admin = User(
            email=normalize_email(email),
            name="Administrator",
            password_hash=await asyncio.to_thread(hash_password, password),
            role="admin",
            locale=locale,
            time_zone="Europe/Warsaw",
            active=True,
        )
        session.add(admin)
        await session.flush()
        await add_event(session, new_event(UserCreated(**user_snapshot(admin)), subject=admin.id))
    return FirstAdministrator(admin.email, password if generated else None)


async def company_id(session: AsyncSession) -> UUID:
    root: UUID | None = await session.scalar(select(Team.id).where(Team.parent_id.is_(None)))
    if root is None:
        raise NotFound("company")
    return root


NOT_YOUR_PASSWORD = N_("is not your current password")


async def change_own_password(
    sessions: SessionFactory, user: User, *, current: str, new: str, keep_token: str | None
) -> None:
    """A person sets a new password, naming their current one: their other sessions and
    personal API tokens end (`update_user`), the one they did this with stays."""
    if not await asyncio.to_thread(verify_password, user.password_hash, current):
        raise Invalid({"current_password": NOT_YOUR_PASSWORD})
    if problem := password_problem(new):
        raise Invalid({"new_password": problem})
    await update_user(sessions, user.id, {"password": new}, keep_token=keep_token)
