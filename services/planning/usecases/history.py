"""The history of a plan line: every change of its amount, note, status and review, with who made
it and when, for whoever may see the line."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import String, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.tables import Member, PlanChange, PlanLine
from services.planning.usecases.lines import visible_lines
from shared.auth import Identity
from shared.errors import NotFound


@dataclass(frozen=True)
class Change:
    at: datetime
    actor_id: str
    actor_name: str | None
    field: str
    old: str | None
    new: str | None


async def line_history(session: AsyncSession, *, identity: Identity, line_id: UUID) -> list[Change]:
    """The line's changes, newest first."""
    seen = await session.scalar(
        select(PlanLine.id).where(PlanLine.id == line_id, visible_lines(identity))
    )
    if seen is None:
        raise NotFound("plan line")
    rows = await session.execute(
        select(PlanChange, Member.name)
        .outerjoin(Member, cast(Member.id, String) == PlanChange.actor_id)
        .where(PlanChange.line_id == line_id)
        .order_by(PlanChange.at.desc(), PlanChange.field)
    )
    return [
        Change(change.at, change.actor_id, name, change.field, change.old, change.new)
        for change, name in rows
    ]
