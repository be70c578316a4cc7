"""Events deals applies: people (names, a head's view), outcome reports (the timeline), the
calendar's activities on deals (each card's next planned activity), documents from the
knowledge base attached to deals and companies (stage evidence), company services and the
requests raised from deals (stage evidence; outputs on the timeline)."""

from collections.abc import Mapping
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.deals.tables import (
    Company,
    Deal,
    DealActivity,
    DealDocument,
    DealRequest,
    Member,
    ServiceRef,
    TimelineEntry,
)
from shared.consumer import Handler
from shared.contracts.calendar import (
    ActivityCancelled,
    ActivityCompleted,
    ActivityRescheduled,
    ActivityScheduled,
    ActivitySnapshot,
)
from shared.contracts.gateway import UserCreated, UserSnapshot, UserUpdated
from shared.contracts.knowledge import (
    DocumentArchived,
    DocumentLinked,
    RequestAccepted,
    RequestCancelled,
    RequestDelivered,
    RequestRejected,
    RequestResubmitted,
    RequestReturned,
    RequestSnapshot,
    RequestSubmitted,
    ServicePublished,
)
from shared.events import Envelope
from shared.replicas import upsert_newer


async def on_user_snapshot(session: AsyncSession, event: Envelope[Any]) -> None:
    """Keep who is who and in which group; an older snapshot never overwrites a newer one."""
    user: UserSnapshot = event.data
    values = {
        "name": user.name,
        "email": user.email.lower(),
        "team_id": user.team_id,
        "active": user.active,
        "changed_at": event.time,
    }
    await upsert_newer(session, Member, user.user_id, values)


async def on_activity_snapshot(session: AsyncSession, event: Envelope[Any]) -> None:
    """Keep the activity as the calendar has it now; an older snapshot never wins over a newer."""
    activity: ActivitySnapshot = event.data
    values = {
        "deal_id": activity.deal_id,
        "kind": activity.kind,
        "title": activity.title,
        "starts_at": activity.starts_at,
        "recurring": activity.rrule is not None,
        # a cancellation is one whatever status the snapshot carries
        "status": "cancelled" if isinstance(activity, ActivityCancelled) else activity.status,
        "changed_at": event.time,
    }
    await upsert_newer(session, DealActivity, activity.activity_id, values)


async def on_activity_completed(session: AsyncSession, event: Envelope[Any]) -> None:
    """A reported activity is no longer planned; its report goes on the timeline."""
    report: ActivityCompleted = event.data
    values = {
        "deal_id": report.deal_id,
        "kind": report.kind,
        "title": report.title,
        "starts_at": report.completed_at,
        "recurring": False,
        "status": "done",
        "changed_at": event.time,
    }
    await upsert_newer(session, DealActivity, report.activity_id, values)
    await _report_on_timeline(session, report)


async def _report_on_timeline(session: AsyncSession, report: ActivityCompleted) -> None:
    """An outcome report lands on the deal's and the company's timeline (once per activity)."""
    company_id = report.company_id
    if report.deal_id is not None:
        company_id = (
            await session.scalar(select(Deal.company_id).where(Deal.id == report.deal_id))
            or company_id
        )
        if company_id is None:
            return  # a deal this service never had: nothing to attach the report to
    if company_id is None:
        return
    data = {
        "activity_id": str(report.activity_id),
        "activity_kind": report.kind,
        "title": report.title,
        "result": report.result,
        "note": report.note,
    }
    await session.execute(
        insert(TimelineEntry)
        .values(
            deal_id=report.deal_id,
            company_id=company_id,
            kind="outcome",
            actor_id=str(report.owner_id),
            at=report.completed_at,
            data=data,
            source_id=report.activity_id,
        )
        .on_conflict_do_nothing(index_elements=[TimelineEntry.source_id])
    )


async def on_document_linked(session: AsyncSession, event: Envelope[Any]) -> None:
    """A knowledge document attached to a deal counts as its document (e.g. the offer a stage
    requires) and shows on the timelines; attached to a company, on the company's timeline."""
    link: DocumentLinked = event.data
    key = uuid5(NAMESPACE_URL, f"{link.url}#{link.target}/{link.target_id}")
    company_id, deal_id = None, None
    if link.target == "deal":
        deal = await session.get(Deal, link.target_id)
        if deal is None:
            return  # a deal this service never had
        company_id, deal_id = deal.company_id, deal.id
        await session.execute(
            insert(DealDocument)
            .values(
                id=key,
                deal_id=deal.id,
                title=link.title,
                url=link.url,
                added_by=str(link.linked_by),
                added_at=link.linked_at,
            )
            .on_conflict_do_nothing()
        )
    elif link.target == "company" and await session.get(Company, link.target_id) is not None:
        company_id = link.target_id
    if company_id is None:
        return
    await session.execute(
        insert(TimelineEntry)
        .values(
            deal_id=deal_id,
            company_id=company_id,
            kind="document_added",
            actor_id=str(link.linked_by),
            at=link.linked_at,
            data={"title": link.title, "url": link.url},
            source_id=key,
        )
        .on_conflict_do_nothing(index_elements=[TimelineEntry.source_id])
    )


async def on_service_published(session: AsyncSession, event: Envelope[Any]) -> None:
    """A company service as knowledge publishes it: what stage requirements may name."""
    service: ServicePublished = event.data
    values = {
        "name": service.name,
        "outputs": [one.model_dump() for one in service.outputs],
        "active": service.active,
        "changed_at": event.time,
    }
    await upsert_newer(session, ServiceRef, service.service_id, values)


async def on_request_step(session: AsyncSession, event: Envelope[Any]) -> None:
    """A request raised from a deal: where it stands (a delivered one is stage evidence), and
    once delivered, its outputs on the deal's and the company's timeline (once per request)."""
    request: RequestSnapshot = event.data
    if request.deal_id is None:
        return
    values = {
        "deal_id": request.deal_id,
        "service_id": request.service_id,
        "status": request.status,
        "outputs": request.outputs,
        "changed_at": event.time,
    }
    await upsert_newer(session, DealRequest, request.request_id, values)
    if isinstance(request, RequestDelivered):
        await _outputs_on_timeline(session, request, event.time)


async def _outputs_on_timeline(session: AsyncSession, request: RequestDelivered, at: Any) -> None:
    deal = await session.get(Deal, request.deal_id)
    if deal is None:
        return  # a deal this service never had
    outputs = [
        {"label": one.label, "type": one.type, "value": request.outputs[one.key]}
        for one in request.output_fields
        if request.outputs.get(one.key) is not None
    ]
    data = {
        "request_id": str(request.request_id),
        "service": request.service_name,
        "url": request.url,
        "outputs": outputs,
    }
    await session.execute(
        insert(TimelineEntry)
        .values(
            deal_id=deal.id,
            company_id=deal.company_id,
            kind="request_delivered",
            actor_id=str(request.actor_id) if request.actor_id else None,
            at=at,
            data=data,
            source_id=uuid5(NAMESPACE_URL, f"{request.url}#delivered"),
        )
        .on_conflict_do_nothing(index_elements=[TimelineEntry.source_id])
    )


async def on_document_archived(session: AsyncSession, event: Envelope[Any]) -> None:
    """An archived document no longer counts as a deal's document."""
    document: DocumentArchived = event.data
    await session.execute(delete(DealDocument).where(DealDocument.url == document.url))


HANDLERS: Mapping[str, Handler] = {
    UserCreated.type: on_user_snapshot,
    UserUpdated.type: on_user_snapshot,
    ActivityCompleted.type: on_activity_completed,
    ActivityScheduled.type: on_activity_snapshot,
    ActivityRescheduled.type: on_activity_snapshot,
    ActivityCancelled.type: on_activity_snapshot,
    DocumentLinked.type: on_document_linked,
    DocumentArchived.type: on_document_archived,
    ServicePublished.type: on_service_published,
    **{
        contract.type: on_request_step
        for contract in (
            RequestSubmitted,
            RequestAccepted,
            RequestReturned,
            RequestResubmitted,
            RequestDelivered,
            RequestRejected,
            RequestCancelled,
        )
    },
}
