"""A request's events: its whole snapshot after each step, into the outbox of the step's
transaction."""

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge.service_tables import Service, ServiceRequest
from shared.contracts.knowledge import RequestSnapshot
from shared.events import new_event
from shared.outbox import add_event


def url_of(request_id: UUID) -> str:
    return f"/requests/{request_id}"


async def announce(
    session: AsyncSession,
    request: ServiceRequest,
    contract: type[RequestSnapshot],
    *,
    actor_id: UUID | None,
    **extra: Any,
) -> None:
    """Add `contract` with the request as it now stands to the outbox."""
    service = await session.get(Service, request.service_id)
    assert service is not None  # a request's service is never deleted
    data = request_state(request, service.name, contract, actor_id=actor_id, **extra)
    await add_event(session, new_event(data, subject=request.id))


def request_state(
    request: ServiceRequest,
    service_name: str,
    contract: type[RequestSnapshot],
    *,
    actor_id: UUID | None,
    **extra: Any,
) -> RequestSnapshot:
    """`contract` with the request as it now stands."""
    return contract(
        request_id=request.id,
        service_id=request.service_id,
        service_name=service_name,
        service_version=request.service_version,
        department_id=request.department_id,
        requester_id=request.requester_id,
        assignee_id=request.assignee_id,
        status=request.status,
        inputs=request.inputs,
        outputs=request.outputs,
        deal_id=request.deal_id,
        company_id=request.company_id,
        contact_id=request.contact_id,
        submitted_at=request.submitted_at,
        due_at=request.due_at,
        actor_id=actor_id,
        url=url_of(request.id),
        **extra,
    )
