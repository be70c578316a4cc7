"""Plan lines: planned by managers, submitted, reviewed by the head of the manager's group."""

from datetime import date
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import and_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.domain.periods import Period, previous
from services.planning.tables import (
    Client,
    CustomerAccess,
    LinkedRecord,
    Member,
    PlanChange,
    PlanLine,
)
from services.planning.usecases.locks import dates_of, ensure_open
from shared.auth import Identity
from shared.contracts.planning import PlanReviewed, PlanSubmitted
from shared.db import SessionFactory, unit_of_work
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.events import new_event
from shared.links import check_may_link
from shared.outbox import add_event
from shared.text import N_
from shared.visibility import visible_by_owner

Decision = Literal["approved", "doubtful", "rejected"]
EDITABLE = ("draft", "rejected")
REVIEWABLE = ("submitted", "approved", "doubtful")
# One advisory lock per manager and client, taken in key order (no deadlock between two callers).
LOCK_CLIENTS = text(
    "SELECT pg_advisory_xact_lock(hashtextextended(key, 0))"
    " FROM unnest(CAST(:keys AS text[])) AS key ORDER BY key"
)
OTHER_SIZE = N_(
    "this client already has a line of another size or range in these days;"
    " a client is planned at one size per span"
)


async def _team_of(session: AsyncSession, manager_id: UUID) -> UUID | None:
    member = await session.get(Member, manager_id)
    if member is None or not member.active:
        raise Invalid({"manager_id": N_("no such active user")})
    return member.team_id


async def check_client(session: AsyncSession, identity: Identity, company_id: UUID) -> None:
    """A client is a company deals announced, one the caller may see (by who reads customers)."""
    if await session.get(Client, company_id) is None:
        raise Invalid({"company_id": N_("no such client")})
    await check_may_link(
        session,
        identity,
        {"company": company_id},
        records=LinkedRecord,
        access=CustomerAccess,
        members=Member,
    )


def may_plan_for(identity: Identity, manager_id: UUID, team_id: UUID | None) -> bool:
    if identity.role == "admin" or str(manager_id) == identity.user_id:
        return True
    return identity.role == "head" and str(team_id) in identity.team_ids


def _may_review(identity: Identity, team_id: UUID | None) -> bool:
    return identity.role == "admin" or (
        identity.role == "head" and str(team_id) in identity.team_ids
    )


def _audit(
    session: AsyncSession, line: PlanLine, actor: str, changes: dict[str, tuple[Any, Any]]
) -> None:
    for field, (old, new) in changes.items():
        if old != new:
            session.add(
                PlanChange(
                    line_id=line.id, actor_id=actor, field=field, old=_text(old), new=_text(new)
                )
            )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


async def _lock_clients(session: AsyncSession, manager_id: UUID, company_ids: list[UUID]) -> None:
    """Hold the manager's plan of these clients until the transaction ends (always in one order),
    so two requests at once cannot both find the span free."""
    keys = sorted(f"plan_line:{manager_id}:{company_id}" for company_id in company_ids)
    await session.execute(LOCK_CLIENTS, {"keys": keys})


def overlapping(manager_id: UUID, start: date, end: date) -> Any:
    """The manager's lines sharing a day with the span from `start` to `end`."""
    return and_(
        PlanLine.manager_id == manager_id, PlanLine.start_date <= end, PlanLine.end_date >= start
    )


async def _ensure_free(
    session: AsyncSession,
    manager_id: UUID,
    company_id: UUID,
    period: Period,
    start: date,
    end: date,
) -> None:
    """A client is planned at one size per span: a line overlapping another of the same manager
    and client would count the same days twice."""
    await _lock_clients(session, manager_id, [company_id])
    clash = await session.scalar(
        select(PlanLine)
        .where(overlapping(manager_id, start, end), PlanLine.company_id == company_id)
        .limit(1)
    )
    if clash is None:
        return
    if (clash.period, clash.start_date, clash.end_date) == (period, start, end):
        raise Conflict({"company_id": N_("this client already has a line for this period")})
    raise Conflict({"period": OTHER_SIZE})


async def _snapshot(session: AsyncSession, line: PlanLine) -> dict[str, Any]:
    fields = ("manager_id", "company_id", "period", "start_date", "end_date", "amount", "status")
    client = await session.get(Client, line.company_id)
    return {
        "line_id": line.id,
        **{name: getattr(line, name) for name in fields},
        "client_name": client.name if client else None,
    }


async def create_line(
    sessions: SessionFactory,
    *,
    identity: Identity,
    manager_id: UUID,
    company_id: UUID,
    period: Period,
    start_date: date,
    end_date: date | None,
    amount: Decimal,
    note: str,
) -> PlanLine:
    """A draft line; one per manager, client and span of days (see `_ensure_free`)."""
    start, end = dates_of(period, start_date, end_date)
    try:
        async with unit_of_work(sessions) as session:
            team_id = await _team_of(session, manager_id)
            if not may_plan_for(identity, manager_id, team_id):
                raise Forbidden("a manager plans only their own lines; a head those of the group")
            await ensure_open(session, identity, start, end)
            await check_client(session, identity, company_id)
            await _ensure_free(session, manager_id, company_id, period, start, end)
            line = PlanLine(
                manager_id=manager_id,
                company_id=company_id,
                period=period,
                start_date=start,
                end_date=end,
                amount=amount,
                note=note,
                status="draft",
                created_by=identity.user_id,
            )
            session.add(line)
            await session.flush()
            _audit(
                session,
                line,
                identity.user_id,
                {"amount": (None, amount), "status": (None, "draft")},
            )
            await session.flush()
            await session.refresh(line)
    except IntegrityError as error:
        if "uq_plan_line" in str(error.orig):
            raise Conflict(
                {"company_id": N_("this client already has a line for this period")}
            ) from None
        raise
    return line


async def _editable_line(session: AsyncSession, identity: Identity, line_id: UUID) -> PlanLine:
    """The caller's line (or the group's, or any for an administrator) in a period still open."""
    line = await session.get(PlanLine, line_id, with_for_update=True)
    if line is None:
        raise NotFound("plan line")
    member = await session.get(Member, line.manager_id)
    if not may_plan_for(identity, line.manager_id, member.team_id if member else None):
        raise NotFound("plan line")
    await ensure_open(session, identity, line.start_date, line.end_date)
    return line


async def update_line(
    sessions: SessionFactory, *, identity: Identity, line_id: UUID, changes: dict[str, Any]
) -> PlanLine:
    """Change a draft (or rejected) line; a rejected one becomes a draft again."""
    async with unit_of_work(sessions) as session:
        line = await _editable_line(session, identity, line_id)
        if line.status not in EDITABLE:
            raise Invalid(
                {"status": N_("a submitted line cannot be changed; ask the head to reject it")}
            )
        old = {name: getattr(line, name) for name in (*changes, "status")}
        for name, value in changes.items():
            setattr(line, name, value)
        line.status = "draft"
        _audit(
            session,
            line,
            identity.user_id,
            {name: (old[name], getattr(line, name)) for name in old},
        )
        await session.flush()
        await session.refresh(line)
    return line


async def delete_line(sessions: SessionFactory, *, identity: Identity, line_id: UUID) -> None:
    async with unit_of_work(sessions) as session:
        line = await _editable_line(session, identity, line_id)
        if line.status not in EDITABLE:
            raise Invalid({"status": N_("a submitted line cannot be deleted")})
        await session.delete(line)


async def submit_line(sessions: SessionFactory, *, identity: Identity, line_id: UUID) -> PlanLine:
    """Submit for review; with approval off the submitted line is final at once."""
    async with unit_of_work(sessions) as session:
        line = await _editable_line(session, identity, line_id)
        if line.status not in EDITABLE:
            raise Invalid({"status": N_("this line is submitted already")})
        _audit(session, line, identity.user_id, {"status": (line.status, "submitted")})
        line.status = "submitted"
        await session.flush()
        await add_event(
            session, new_event(PlanSubmitted(**await _snapshot(session, line)), subject=line.id)
        )
        await session.refresh(line)
    return line


async def review_line(
    sessions: SessionFactory,
    *,
    identity: Identity,
    line_id: UUID,
    decision: Decision,
    comment: str | None,
) -> PlanLine:
    """The head of the manager's group decides: approved, doubtful (out of the final plan) or rejected."""
    async with unit_of_work(sessions) as session:
        line = await session.get(PlanLine, line_id, with_for_update=True)
        member = await session.get(Member, line.manager_id) if line else None
        if line is None or not _may_review(identity, member.team_id if member else None):
            raise NotFound("plan line")
        if line.status not in REVIEWABLE:
            raise Invalid({"status": N_("only a submitted line can be reviewed")})
        if decision == "rejected" and not comment:
            raise Invalid({"comment": N_("say why the line is rejected")})
        changes = {
            "status": (line.status, decision),
            "review_comment": (line.review_comment, comment),
        }
        _audit(session, line, identity.user_id, changes)
        line.status, line.review_comment, line.reviewed_by = decision, comment, identity.user_id
        await session.flush()
        reviewed = PlanReviewed(
            **await _snapshot(session, line), reviewer_id=UUID(identity.user_id), comment=comment
        )
        await add_event(session, new_event(reviewed, subject=line.id))
        await session.refresh(line)
    return line


def visible_lines(identity: Identity) -> Any:
    """Lines a caller may see: own; a head's also the group's; an admin's all."""
    return visible_by_owner(
        identity,
        PlanLine.manager_id,
        lambda teams: select(Member.id).where(Member.team_id.in_(teams)),
    )


async def copy_previous(
    sessions: SessionFactory,
    *,
    identity: Identity,
    period: Period,
    start_date: date,
    manager_id: UUID,
) -> list[PlanLine]:
    """The manager's lines of the period before, copied as drafts into this one (skipping clients
    with any line in these days): last month's plan in one step."""
    start, end = dates_of(period, start_date)
    before_start, before_end = previous(period, start, end)
    async with unit_of_work(sessions) as session:
        if not may_plan_for(identity, manager_id, await _team_of(session, manager_id)):
            raise Forbidden("a manager plans only their own lines; a head those of the group")
        await ensure_open(session, identity, start, end)
        earlier = list(
            await session.scalars(
                select(PlanLine).where(
                    PlanLine.manager_id == manager_id,
                    PlanLine.period == period,
                    PlanLine.start_date == before_start,
                    PlanLine.end_date == before_end,
                )
            )
        )
        await _lock_clients(session, manager_id, [line.company_id for line in earlier])
        planned = set(
            await session.scalars(
                select(PlanLine.company_id).where(overlapping(manager_id, start, end))
            )
        )
        copies = [
            PlanLine(
                manager_id=manager_id,
                company_id=line.company_id,
                period=period,
                start_date=start,
                end_date=end,
                amount=line.amount,
                note=line.note,
                status="draft",
                created_by=identity.user_id,
            )
            for line in earlier
            if line.company_id not in planned
        ]
        session.add_all(copies)
        await session.flush()
        for copy in copies:
            _audit(
                session,
                copy,
                identity.user_id,
                {"amount": (None, copy.amount), "status": (None, "draft")},
            )
            await session.refresh(copy)
    return copies
