"""Who sees a request and who may act on it: the requester (and their head, who sees the
group's), the staff of the department handling it, the administrator."""

from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge.domain.access import groups_of, principals_of
from services.knowledge.domain.lifecycle import Side
from services.knowledge.service_tables import ServiceRequest
from services.knowledge.tables import Member
from services.knowledge.usecases.access import team_parents
from shared.auth import Identity
from shared.errors import NotFound


def _people_in(teams: list[str]) -> Any:
    return select(Member.id).where(Member.team_id.in_([UUID(team) for team in teams]))


def visible_requests(identity: Identity) -> ColumnElement[bool]:
    """Requests `identity` may see, as a WHERE clause."""
    if identity.role == "admin":
        return true()
    seen: list[ColumnElement[bool]] = [ServiceRequest.requester_id == UUID(identity.user_id)]
    if identity.role == "head" and identity.team_ids:
        seen.append(ServiceRequest.requester_id.in_(_people_in(identity.team_ids)))
    if identity.role == "staff" and identity.department_id:
        seen.append(ServiceRequest.department_id == UUID(identity.department_id))
    return or_(false(), *seen)


def sides_of(identity: Identity, request: ServiceRequest) -> set[Side]:
    """The sides of the request `identity` acts on: the requester's, the department's, or both."""
    if identity.role == "admin":
        return {"requester", "department"}
    sides: set[Side] = set()
    if request.requester_id == UUID(identity.user_id):
        sides.add("requester")
    if in_department(identity, request.department_id):
        sides.add("department")
    return sides


def in_department(identity: Identity, department_id: UUID) -> bool:
    return identity.role == "staff" and identity.department_id == str(department_id)


async def find_request(
    session: AsyncSession, identity: Identity, request_id: UUID, *, lock: bool = False
) -> ServiceRequest:
    """A request the caller may see; 404 otherwise, as for a missing one."""
    query = select(ServiceRequest).where(
        ServiceRequest.id == request_id, visible_requests(identity)
    )
    request = await session.scalar(query.with_for_update() if lock else query)
    if request is None:
        raise NotFound("request")
    return request


async def principals(session: AsyncSession, identity: Identity) -> list[str]:
    """What the caller stands for when a service names who may request it."""
    groups = groups_of(identity.team_ids, await team_parents(session))
    return principals_of(
        user_id=identity.user_id, groups=groups, department_id=identity.department_id
    )
