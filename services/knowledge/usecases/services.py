"""The company-service catalogue: services published and changed by the administrator, each
change of a form a new version."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge.domain import forms
from services.knowledge.domain.access import among
from services.knowledge.service_tables import Department, Service, ServiceVersion
from services.knowledge.usecases.request_access import principals
from services.knowledge.usecases.request_values import fields_of, said, stored_form
from shared.auth import Identity
from shared.contracts.knowledge import FormField, ServicePublished
from shared.db import SessionFactory, unit_of_work
from shared.errors import Forbidden, Invalid, NotFound
from shared.events import new_event
from shared.outbox import add_event
from shared.text import N_


@dataclass(frozen=True)
class ServiceSpec:
    """A service as the administrator describes it."""

    department_id: UUID
    name: str
    description: str
    sla_hours: int
    requesters: tuple[str, ...]
    inputs: tuple[forms.Field, ...]
    outputs: tuple[forms.Field, ...]


@dataclass(frozen=True)
class ServiceChanges:
    """What changes; the rest stays."""

    department_id: UUID | None = None
    name: str | None = None
    description: str | None = None
    sla_hours: int | None = None
    requesters: tuple[str, ...] | None = None
    inputs: tuple[forms.Field, ...] | None = None
    outputs: tuple[forms.Field, ...] | None = None
    active: bool | None = None


def url_of(service_id: UUID) -> str:
    return f"/services/{service_id}"


def _administrator(identity: Identity) -> None:
    if identity.role != "admin":
        raise Forbidden(N_("only an administrator may change the service catalogue"))


def _check_forms(
    identity: Identity, inputs: Sequence[forms.Field] | None, outputs: Sequence[forms.Field] | None
) -> None:
    problems: dict[str, str] = {}
    for name, form in (("inputs", inputs), ("outputs", outputs)):
        if form is not None:
            problems |= said(forms.design_problems(form), identity.locale, f"{name}.")
    if problems:
        raise Invalid(problems)


async def _check_department(session: AsyncSession, department_id: UUID) -> None:
    if await session.get(Department, department_id) is None:
        raise Invalid({"department_id": N_("no such department")})


async def create_service(
    sessions: SessionFactory, *, identity: Identity, spec: ServiceSpec, now: datetime
) -> Service:
    """Publish a service with its first form version."""
    _administrator(identity)
    _check_forms(identity, spec.inputs, spec.outputs)
    async with unit_of_work(sessions) as session:
        await _check_department(session, spec.department_id)
        service = Service(
            id=uuid4(),
            department_id=spec.department_id,
            name=spec.name,
            description=spec.description,
            sla_hours=spec.sla_hours,
            requesters=list(spec.requesters),
            version=1,
            active=True,
            created_by=UUID(identity.user_id),
            created_at=now,
            updated_at=now,
        )
        session.add(service)
        await session.flush()
        version = _version(service, spec.inputs, spec.outputs, identity, now)
        session.add(version)
        await _published(session, service, version)
    return service


def _version(
    service: Service,
    inputs: Sequence[forms.Field],
    outputs: Sequence[forms.Field],
    identity: Identity,
    now: datetime,
) -> ServiceVersion:
    return ServiceVersion(
        service_id=service.id,
        number=service.version,
        inputs=stored_form(inputs),
        outputs=stored_form(outputs),
        created_by=UUID(identity.user_id),
        created_at=now,
    )


async def update_service(
    sessions: SessionFactory,
    *,
    identity: Identity,
    service_id: UUID,
    changes: ServiceChanges,
    now: datetime,
) -> Service:
    """Change a service; new input or output forms become its next version."""
    _administrator(identity)
    _check_forms(identity, changes.inputs, changes.outputs)
    async with unit_of_work(sessions) as session:
        service = await session.get(Service, service_id, with_for_update=True)
        if service is None:
            raise NotFound("service")
        if changes.department_id is not None:
            await _check_department(session, changes.department_id)
        for name in ("department_id", "name", "description", "sla_hours", "active"):
            value = getattr(changes, name)
            if value is not None:
                setattr(service, name, value)
        if changes.requesters is not None:
            service.requesters = list(changes.requesters)
        current = await current_version(session, service)
        inputs = changes.inputs if changes.inputs is not None else fields_of(current.inputs)
        outputs = changes.outputs if changes.outputs is not None else fields_of(current.outputs)
        if stored_form(inputs) != current.inputs or stored_form(outputs) != current.outputs:
            service.version += 1
            current = _version(service, inputs, outputs, identity, now)
            session.add(current)
        service.updated_at = now
        await session.flush()
        await _published(session, service, current)
    return service


async def current_version(session: AsyncSession, service: Service) -> ServiceVersion:
    version = await session.get(ServiceVersion, (service.id, service.version))
    assert version is not None  # written with the service
    return version


async def _published(session: AsyncSession, service: Service, version: ServiceVersion) -> None:
    await add_event(session, new_event(published(service, version), subject=service.id))


def published(service: Service, version: ServiceVersion) -> ServicePublished:
    """The service as it now stands, with its current forms."""
    return ServicePublished(
        service_id=service.id,
        department_id=service.department_id,
        name=service.name,
        description=service.description,
        version=service.version,
        inputs=[FormField(**one) for one in version.inputs],
        outputs=[FormField(**one) for one in version.outputs],
        sla_hours=service.sla_hours,
        requesters=list(service.requesters),
        active=service.active,
        url=url_of(service.id),
    )


async def may_request(session: AsyncSession, identity: Identity, service: Service) -> bool:
    """Whether the caller is among those the service names (the administrator always is)."""
    return may_request_as(identity, await principals(session, identity), service)


def may_request_as(identity: Identity, mine: list[str], service: Service) -> bool:
    """The same, for a caller whose principals are known (a whole catalogue at once)."""
    if identity.role == "admin":
        return True
    return service.active and among(mine, service.requesters)
