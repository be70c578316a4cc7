"""Events deals applies: people (for names and a head's view) and outcome reports (the timeline)."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.deals.tables import Deal, Member, TimelineEntry
from shared.consumer import Handler
from shared.contracts.calendar import ActivityCompleted
from shared.contracts.gateway import UserCreated, UserSnapshot, UserUpdated
from shared.events import Envelope
from shared.replicas import upsert_newer


async def on_user_snapshot(session: AsyncSession, event: Envelope[Any]) -> None:
    """Keep who is who and in which group; an older snapshot never overwrites a newer one."""
    user: UserSnapshot = event.data
    values = {
        "name": user.name,
        "team_id": user.team_id,
        "active": user.active,
        "changed_at": event.time,
    }
    await upsert_newer(session, Member, user.user_id, values)


async def on_activity_completed(session: AsyncSession, event: Envelope[Any]) -> None:
    """An outcome report lands on the deal's and the company's timeline (once per activity)."""
    report: ActivityCompleted = event.data
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


HANDLERS: Mapping[str, Handler] = {
    UserCreated.type: on_user_snapshot,
    UserUpdated.type: on_user_snapshot,
    ActivityCompleted.type: on_activity_completed,
}
