"""Services and requests as the API answers them: forms, names for every id, the SLA's standing
and the steps the caller may take, read for a whole page at once."""

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge.domain.lifecycle import steps_for
from services.knowledge.domain.sla import standing
from services.knowledge.service_schemas import (
    FieldPublic,
    RequestPublic,
    ServicePublic,
    StepPublic,
)
from services.knowledge.service_tables import (
    CompanyRef,
    ContactRef,
    DealRef,
    Department,
    RequestStep,
    Service,
    ServiceRequest,
    ServiceVersion,
)
from services.knowledge.tables import Member
from services.knowledge.usecases.request_access import principals, sides_of
from services.knowledge.usecases.services import may_request_as
from shared.auth import Identity

REFERRING = ("user", "company", "contact", "deal")


def fields_public(stored: Sequence[dict[str, Any]]) -> list[FieldPublic]:
    return [FieldPublic.model_validate(one) for one in stored]


async def department_names(session: AsyncSession, ids: Iterable[UUID]) -> dict[UUID, str]:
    rows = await session.execute(
        select(Department.id, Department.name).where(Department.id.in_(set(ids)))
    )
    return {id_: name for id_, name in rows}


async def services_public(
    session: AsyncSession, identity: Identity, services: Sequence[Service]
) -> list[ServicePublic]:
    """The services with their current forms and whether the caller may request each."""
    keys = [(s.id, s.version) for s in services]
    versions: dict[tuple[UUID, int], ServiceVersion] = {}
    if keys:
        found = await session.scalars(
            select(ServiceVersion).where(
                tuple_(ServiceVersion.service_id, ServiceVersion.number).in_(keys)
            )
        )
        versions = {(v.service_id, v.number): v for v in found}
    departments = await department_names(session, (s.department_id for s in services))
    mine = await principals(session, identity)
    answer = []
    for service in services:
        version = versions[(service.id, service.version)]
        answer.append(
            ServicePublic(
                id=service.id,
                department_id=service.department_id,
                department_name=departments.get(service.department_id, ""),
                name=service.name,
                description=service.description,
                sla_hours=service.sla_hours,
                requesters=list(service.requesters),
                version=service.version,
                inputs=fields_public(version.inputs),
                outputs=fields_public(version.outputs),
                active=service.active,
                may_request=may_request_as(identity, mine, service),
                created_at=service.created_at,
                updated_at=service.updated_at,
            )
        )
    return answer


async def _names(session: AsyncSession, ids: set[UUID]) -> dict[str, str]:
    """What each id names, from the replicas: people, deals, companies, contacts."""
    names: dict[str, str] = {}
    if not ids:
        return names
    for table, column in (
        (Member, Member.name),
        (DealRef, DealRef.title),
        (CompanyRef, CompanyRef.name),
        (ContactRef, ContactRef.name),
    ):
        rows = await session.execute(select(table.id, column).where(table.id.in_(ids)))
        names |= {str(id_): name for id_, name in rows}
    return names


def _named_ids(
    request: ServiceRequest, version: ServiceVersion, steps: Sequence[RequestStep]
) -> set[UUID]:
    ids = {request.requester_id, *(step.author_id for step in steps)}
    ids |= {
        i
        for i in (request.assignee_id, request.deal_id, request.company_id, request.contact_id)
        if i
    }
    for form, values in ((version.inputs, request.inputs), (version.outputs, request.outputs)):
        for one in form:
            value = values.get(one["key"])
            if one["type"] in REFERRING and isinstance(value, str):
                ids.add(UUID(value))
    return ids


async def requests_public(
    session: AsyncSession,
    identity: Identity,
    requests: Sequence[ServiceRequest],
    *,
    with_steps: bool = False,
) -> list[RequestPublic]:
    """Requests as the API shows them: a few queries for the whole list."""
    if not requests:
        return []
    keys = {(r.service_id, r.service_version) for r in requests}
    versions = {
        (v.service_id, v.number): v
        for v in await session.scalars(
            select(ServiceVersion).where(
                tuple_(ServiceVersion.service_id, ServiceVersion.number).in_(keys)
            )
        )
    }
    services = {
        s.id: s.name
        for s in await session.scalars(
            select(Service).where(Service.id.in_({r.service_id for r in requests}))
        )
    }
    departments = await department_names(session, (r.department_id for r in requests))
    steps: dict[UUID, list[RequestStep]] = {}
    if with_steps:
        found = await session.scalars(
            select(RequestStep)
            .where(RequestStep.request_id.in_([r.id for r in requests]))
            .order_by(RequestStep.at, RequestStep.id)
        )
        for step in found:
            steps.setdefault(step.request_id, []).append(step)
    named = {
        request.id: _named_ids(
            request,
            versions[(request.service_id, request.service_version)],
            steps.get(request.id, []),
        )
        for request in requests
    }
    names = await _names(session, set().union(*named.values()))
    now = datetime.now(UTC)
    return [
        _public(
            request,
            versions[(request.service_id, request.service_version)],
            services[request.service_id],
            departments.get(request.department_id, ""),
            {str(id_): names[str(id_)] for id_ in named[request.id] if str(id_) in names},
            steps.get(request.id) if with_steps else None,
            identity,
            now,
        )
        for request in requests
    ]


def _public(
    request: ServiceRequest,
    version: ServiceVersion,
    service_name: str,
    department_name: str,
    names: dict[str, str],
    steps: list[RequestStep] | None,
    identity: Identity,
    now: datetime,
) -> RequestPublic:
    may = steps_for(request.status, sides_of(identity, request))  # type: ignore[arg-type]
    return RequestPublic(
        id=request.id,
        service_id=request.service_id,
        service_name=service_name,
        service_version=request.service_version,
        department_id=request.department_id,
        department_name=department_name,
        requester_id=request.requester_id,
        requester_name=names.get(str(request.requester_id)),
        assignee_id=request.assignee_id,
        assignee_name=names.get(str(request.assignee_id)) if request.assignee_id else None,
        status=request.status,
        inputs=request.inputs,
        outputs=request.outputs,
        input_fields=fields_public(version.inputs),
        output_fields=fields_public(version.outputs),
        deal_id=request.deal_id,
        company_id=request.company_id,
        contact_id=request.contact_id,
        names=names,
        sla_hours=request.sla_hours,
        submitted_at=request.submitted_at,
        accepted_at=request.accepted_at,
        closed_at=request.closed_at,
        due_at=request.due_at,
        warn_at=request.warn_at,
        sla=standing(now, warn_at=request.warn_at, due_at=request.due_at),
        may=[*may, "comment"],
        steps=None
        if steps is None
        else [
            StepPublic(
                id=step.id,
                kind=step.kind,
                author_id=step.author_id,
                author_name=names.get(str(step.author_id)),
                body=step.body,
                files=step.files,
                at=step.at,
            )
            for step in steps
        ],
        updated_at=request.updated_at,
    )
