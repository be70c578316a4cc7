"""Requests to departments: submitted with every required input, accepted by someone of the
department, returned for information and resubmitted, delivered with every required output,
rejected with a reason or cancelled by the requester; commented on with files on the way."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge.domain import forms
from services.knowledge.domain.lifecycle import Side, Status, Step, StepRefused, next_status
from services.knowledge.service_tables import (
    DealRef,
    Department,
    RequestFile,
    RequestStep,
    Service,
    ServiceRequest,
    ServiceVersion,
)
from services.knowledge.tables import Member
from services.knowledge.usecases.request_access import find_request, sides_of
from services.knowledge.usecases.request_events import announce
from services.knowledge.usecases.request_values import check_origin, checked_values, fields_of
from services.knowledge.usecases.services import may_request
from services.knowledge.usecases.sla import run_clock, stop_clock
from shared.auth import Identity
from shared.contracts.knowledge import (
    RequestAccepted,
    RequestCancelled,
    RequestCommented,
    RequestDelivered,
    RequestRejected,
    RequestResubmitted,
    RequestReturned,
    RequestSubmitted,
)
from shared.db import SessionFactory, unit_of_work
from shared.errors import Conflict, Forbidden, Invalid
from shared.text import N_


@dataclass(frozen=True)
class Origin:
    """The records a request is raised from (any may be missing)."""

    deal_id: UUID | None = None
    company_id: UUID | None = None
    contact_id: UUID | None = None


async def _version(session: AsyncSession, request: ServiceRequest) -> ServiceVersion:
    version = await session.get(ServiceVersion, (request.service_id, request.service_version))
    assert version is not None
    return version


async def _origin(
    session: AsyncSession,
    fields: Sequence[forms.Field],
    values: Mapping[str, Any],
    origin: Origin,
) -> Origin:
    """The origin as given, completed from the inputs (a deal field names the deal) and from
    the deal (its company)."""

    def named(kind: str) -> UUID | None:
        found = [values[one.key] for one in fields if one.type == kind and one.key in values]
        return UUID(found[0]) if len(found) == 1 else None

    deal_id = origin.deal_id or named("deal")
    company_id = origin.company_id or named("company")
    if company_id is None and deal_id is not None:
        company_id = await session.scalar(select(DealRef.company_id).where(DealRef.id == deal_id))
    return Origin(deal_id, company_id, origin.contact_id or named("contact"))


async def _files(
    session: AsyncSession, request: ServiceRequest, files: Sequence[str], who: UUID, now: datetime
) -> None:
    """The documents given with the request become readable through it."""
    for document_id in dict.fromkeys(files):
        await session.execute(
            insert(RequestFile)
            .values(
                request_id=request.id, document_id=UUID(document_id), added_by=who, added_at=now
            )
            .on_conflict_do_nothing()
        )


def _file_ids(values: Mapping[str, Any]) -> list[str]:
    return [
        str(value["document_id"])
        for value in values.values()
        if isinstance(value, Mapping) and "document_id" in value
    ]


def _step(request: ServiceRequest, kind: str, who: UUID, body: str, now: datetime) -> RequestStep:
    return RequestStep(
        id=uuid4(), request_id=request.id, kind=kind, author_id=who, body=body, files=[], at=now
    )


async def submit_request(
    sessions: SessionFactory,
    *,
    identity: Identity,
    service_id: UUID,
    inputs: Mapping[str, Any],
    origin: Origin,
    comment: str,
    now: datetime,
) -> ServiceRequest:
    """Raise a request with every required input; its SLA starts now."""
    async with unit_of_work(sessions) as session:
        service = await session.get(Service, service_id)
        if service is None or not service.active:
            raise Invalid({"service_id": N_("no such service")})
        if not await may_request(session, identity, service):
            raise Forbidden(N_("this service may not be requested by you"))
        version = await session.get(ServiceVersion, (service.id, service.version))
        assert version is not None
        fields = fields_of(version.inputs)
        values = await checked_values(session, identity, fields, inputs, prefix="inputs")
        found = await _origin(session, fields, values, origin)
        origins = {"deal": found.deal_id, "company": found.company_id, "contact": found.contact_id}
        await check_origin(session, identity, origins)
        me = UUID(identity.user_id)
        request = ServiceRequest(
            id=uuid4(),
            service_id=service.id,
            service_version=service.version,
            department_id=service.department_id,
            requester_id=me,
            status="submitted",
            inputs=values,
            outputs={},
            deal_id=found.deal_id,
            company_id=found.company_id,
            contact_id=found.contact_id,
            sla_hours=service.sla_hours,
            submitted_at=now,
            updated_at=now,
        )
        await run_clock(session, request, now)
        session.add(request)
        await session.flush()
        session.add(_step(request, "submitted", me, comment, now))
        await _files(session, request, _file_ids(values), me, now)
        await announce(session, request, RequestSubmitted, actor_id=me)
    return request


async def _acting(
    session: AsyncSession, identity: Identity, request_id: UUID, step: Step, side: Side
) -> ServiceRequest:
    """The request, locked, if the caller may take `step` on it now."""
    request = await find_request(session, identity, request_id, lock=True)
    if side not in sides_of(identity, request):
        raise Forbidden(
            N_("only the department's staff may do this")
            if side == "department"
            else N_("only the requester may do this")
        )
    try:
        status: Status = request.status  # type: ignore[assignment]
        request.status = next_status(step, status, assigned=request.assignee_id is not None)
    except StepRefused as refused:
        raise Conflict({"status": refused.message}) from None
    return request


async def accept_requests(
    sessions: SessionFactory,
    *,
    identity: Identity,
    request_ids: Sequence[UUID],
    assignee_id: UUID | None,
    now: datetime,
) -> list[ServiceRequest]:
    """Take requests (one, or many from the queue at once): all of them, or none."""
    accepted: list[ServiceRequest] = []
    problems: dict[str, str] = {}
    async with unit_of_work(sessions) as session:
        for request_id in dict.fromkeys(request_ids):
            try:
                request = await _acting(session, identity, request_id, "accept", "department")
            except (Conflict, Forbidden) as refused:
                if len(request_ids) == 1:
                    raise
                problems[str(request_id)] = _reason(refused)
                continue
            request.assignee_id = await _assignee(session, identity, request, assignee_id)
            request.accepted_at = request.updated_at = now
            me = UUID(identity.user_id)
            session.add(_step(request, "accepted", me, "", now))
            await announce(session, request, RequestAccepted, actor_id=me)
            accepted.append(request)
        if problems:
            raise Conflict({f"request_ids.{key}": value for key, value in problems.items()})
    return accepted


def _reason(refused: Exception) -> str:
    if isinstance(refused, Conflict):
        return next(iter(refused.problems.values()))
    return str(refused)


async def _assignee(
    session: AsyncSession, identity: Identity, request: ServiceRequest, wanted: UUID | None
) -> UUID:
    """The caller, or someone of the department the department's head (or admin) names."""
    me = UUID(identity.user_id)
    if wanted is None or wanted == me:
        return me
    department = await session.get(Department, request.department_id)
    head = department is not None and department.head_id == me
    if identity.role != "admin" and not head:
        raise Forbidden(N_("only the department's head gives requests to others"))
    colleague = await session.get(Member, wanted)
    if (
        colleague is None
        or not colleague.active
        or colleague.department_id != request.department_id
    ):
        raise Invalid({"assignee_id": N_("no such active member of the department")})
    return wanted


async def return_request(
    sessions: SessionFactory, *, identity: Identity, request_id: UUID, comment: str, now: datetime
) -> ServiceRequest:
    """Ask the requester for information; the SLA clock stops until they resubmit."""
    async with unit_of_work(sessions) as session:
        request = await _acting(session, identity, request_id, "return", "department")
        await stop_clock(session, request, now)
        request.updated_at = now
        me = UUID(identity.user_id)
        session.add(_step(request, "returned", me, comment, now))
        await announce(session, request, RequestReturned, actor_id=me, comment=comment)
    return request


async def resubmit_request(
    sessions: SessionFactory,
    *,
    identity: Identity,
    request_id: UUID,
    inputs: Mapping[str, Any],
    comment: str,
    now: datetime,
) -> ServiceRequest:
    """The requester amends the inputs (those given change) and sends the request back."""
    async with unit_of_work(sessions) as session:
        request = await _acting(session, identity, request_id, "resubmit", "requester")
        fields = fields_of((await _version(session, request)).inputs)
        amended = {**request.inputs, **inputs}
        values = await checked_values(session, identity, fields, amended, prefix="inputs")
        request.inputs = values
        left = timedelta(seconds=request.sla_left or 0)
        await run_clock(session, request, now, left=left)
        request.updated_at = now
        me = UUID(identity.user_id)
        session.add(_step(request, "resubmitted", me, comment, now))
        await _files(session, request, _file_ids(values), me, now)
        await announce(session, request, RequestResubmitted, actor_id=me, comment=comment)
    return request


async def deliver_request(
    sessions: SessionFactory,
    *,
    identity: Identity,
    request_id: UUID,
    outputs: Mapping[str, Any],
    comment: str,
    now: datetime,
) -> ServiceRequest:
    """Deliver the outputs; every required one must be given."""
    async with unit_of_work(sessions) as session:
        request = await _acting(session, identity, request_id, "deliver", "department")
        version = await _version(session, request)
        fields = fields_of(version.outputs)
        values = await checked_values(session, identity, fields, outputs, prefix="outputs")
        request.outputs = values
        request.closed_at = request.updated_at = now
        request.warn_at = request.due_at = None
        me = UUID(identity.user_id)
        session.add(_step(request, "delivered", me, comment, now))
        await _files(session, request, _file_ids(values), me, now)
        await announce(
            session,
            request,
            RequestDelivered,
            actor_id=me,
            output_fields=version.outputs,
        )
    return request


async def reject_request(
    sessions: SessionFactory, *, identity: Identity, request_id: UUID, reason: str, now: datetime
) -> ServiceRequest:
    """Refuse the request, saying why."""
    async with unit_of_work(sessions) as session:
        request = await _acting(session, identity, request_id, "reject", "department")
        request.closed_at = request.updated_at = now
        request.warn_at = request.due_at = None
        me = UUID(identity.user_id)
        session.add(_step(request, "rejected", me, reason, now))
        await announce(session, request, RequestRejected, actor_id=me, reason=reason)
    return request


async def cancel_request(
    sessions: SessionFactory, *, identity: Identity, request_id: UUID, reason: str, now: datetime
) -> ServiceRequest:
    """The requester withdraws an open request."""
    async with unit_of_work(sessions) as session:
        request = await _acting(session, identity, request_id, "cancel", "requester")
        request.closed_at = request.updated_at = now
        request.warn_at = request.due_at = None
        me = UUID(identity.user_id)
        session.add(_step(request, "cancelled", me, reason, now))
        await announce(session, request, RequestCancelled, actor_id=me, reason=reason)
    return request


async def attachments(
    session: AsyncSession, identity: Identity, files: Sequence[UUID]
) -> list[dict[str, Any]]:
    """Uploaded files the caller may read, as a request keeps them; `Invalid` on `files`."""
    fields = [forms.Field(f"file_{n}", "", "file") for n, _ in enumerate(files)]
    given = {one.key: str(file) for one, file in zip(fields, files, strict=True)}
    try:
        values = await checked_values(session, identity, fields, given, prefix="files")
    except Invalid:
        raise Invalid({"files": N_("no such file")}) from None
    return [values[one.key] for one in fields]


async def comment_on(
    sessions: SessionFactory,
    *,
    identity: Identity,
    request_id: UUID,
    body: str,
    files: Sequence[UUID],
    now: datetime,
) -> RequestStep:
    """A comment (with files, perhaps) from anyone who may see the request."""
    if not body.strip() and not files:
        raise Invalid({"body": N_("write a comment or add a file")})
    async with unit_of_work(sessions) as session:
        request = await find_request(session, identity, request_id, lock=True)
        attached = await attachments(session, identity, files)
        me = UUID(identity.user_id)
        step = _step(request, "comment", me, body.strip(), now)
        step.files = attached
        session.add(step)
        request.updated_at = now
        await _files(session, request, [a["document_id"] for a in attached], me, now)
        await session.flush()
        await announce(
            session,
            request,
            RequestCommented,
            actor_id=me,
            comment_id=step.id,
            author_id=me,
            body=step.body,
            files=attached,
        )
    return step
