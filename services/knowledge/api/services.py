"""`/api/services`: the company-service catalogue; the administrator publishes and changes it."""

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter, Query, status
from sqlalchemy import ColumnElement, and_, or_, select, true

from services.knowledge.api.request_views import services_public
from services.knowledge.service_schemas import ServiceCreate, ServicePublic, ServiceUpdate
from services.knowledge.service_tables import Service
from services.knowledge.usecases import services as usecases
from services.knowledge.usecases.services import ServiceChanges, ServiceSpec
from shared.auth import CurrentIdentity, Identity
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

router = APIRouter(prefix="/api/services", tags=["services"])


def _listed(identity: Identity) -> ColumnElement[bool]:
    """Active services for everyone (whether they may request each is said per service); the
    department's inactive ones for its staff; all for the administrator."""
    if identity.role == "admin":
        return true()
    if identity.role == "staff" and identity.department_id:
        return or_(Service.active, Service.department_id == UUID(identity.department_id))
    return and_(Service.active)


@router.get("")
async def list_services(
    sessions: Sessions,
    identity: CurrentIdentity,
    department_id: UUID | None = None,
    requestable: bool = Query(default=False, description="only those the caller may request"),
    updated_since: UpdatedSince = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page[ServicePublic]:
    """The catalogue by name; with `updated_since`, the services changed since (switched off
    ones too, `active` false, for those who see them), in order of change."""
    query = select(Service).where(_listed(identity))
    if department_id is not None:
        query = query.where(Service.department_id == department_id)
    if updated_since is not None:
        query = changes(
            query, Service.updated_at, Service.id, since=updated_since, cursor=cursor, limit=limit
        )
    else:
        query = keyset(
            query, (Service.name, Service.id), cursor=cursor, types=(str, UUID), limit=limit
        )
    async with sessions() as session:
        found = await services_public(session, identity, list(await session.scalars(query)))
    items = [s for s in found if s.may_request] if requestable else found
    if updated_since is not None:
        page = changes_page(found, limit)
    else:
        page = page_of(found, limit, key=lambda item: (item.name, item.id))
    return Page(items=items[:limit], next_cursor=page.next_cursor)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_service(
    body: ServiceCreate, sessions: Sessions, identity: CurrentIdentity
) -> ServicePublic:
    """Publish a service: what it asks for, what it delivers, in how many working hours."""
    spec = ServiceSpec(
        department_id=body.department_id,
        name=body.name,
        description=body.description,
        sla_hours=body.sla_hours,
        requesters=tuple(body.requesters),
        inputs=tuple(f.field() for f in body.inputs),
        outputs=tuple(f.field() for f in body.outputs),
    )
    service = await usecases.create_service(
        sessions, identity=identity, spec=spec, now=datetime.now(UTC)
    )
    return await _answer(sessions, identity, service.id)


async def _answer(sessions: Sessions, identity: Identity, service_id: UUID) -> ServicePublic:
    async with sessions() as session:
        service = await session.scalar(
            select(Service).where(Service.id == service_id, _listed(identity))
        )
        if service is None:
            raise NotFound("service")
        [public] = await services_public(session, identity, [service])
    return public


@router.get("/{service_id}")
async def get_service(
    service_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> ServicePublic:
    return await _answer(sessions, identity, service_id)


@router.patch("/{service_id}")
async def update_service(
    service_id: UUID, body: ServiceUpdate, sessions: Sessions, identity: CurrentIdentity
) -> ServicePublic:
    """Change a service; new input or output forms become its next version."""
    nulls = [key for key, value in body.model_dump(exclude_unset=True).items() if value is None]
    if nulls:
        raise Invalid(dict.fromkeys(nulls, N_("may not be null")))
    changes = ServiceChanges(
        department_id=body.department_id,
        name=body.name,
        description=body.description,
        sla_hours=body.sla_hours,
        requesters=tuple(body.requesters) if body.requesters is not None else None,
        inputs=tuple(f.field() for f in body.inputs) if body.inputs is not None else None,
        outputs=tuple(f.field() for f in body.outputs) if body.outputs is not None else None,
        active=body.active,
    )
    await usecases.update_service(
        sessions, identity=identity, service_id=service_id, changes=changes, now=datetime.now(UTC)
    )
    return await _answer(sessions, identity, service_id)
