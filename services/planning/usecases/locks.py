"""Locked periods: the administrator locks and unlocks them; nobody else changes their plan."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.domain.locking import LockReason, lock_reason, locks_on
from services.planning.domain.periods import BadPeriod, Period, period_range, previous, start_of
from services.planning.tables import PlanLock
from services.planning.usecases.plan_settings import settings
from shared.auth import Identity
from shared.db import SessionFactory, unit_of_work
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.text import N_

COMPANY_TIME_ZONE = ZoneInfo("Europe/Warsaw")
CLOSED = {
    "deadline": N_("the deadline for this period's plan has passed; ask an administrator"),
    "locked": N_("this period is locked; only an administrator may change its plan"),
}


def today() -> date:
    """The company's date: a period's deadline passes at midnight in Warsaw."""
    return datetime.now(COMPANY_TIME_ZONE).date()


def dates_of(
    period: Period, start_date: date, end_date: date | None = None, *, where: str = "body"
) -> tuple[date, date]:
    """The period's first and last day, or a 422 naming the date that does not fit."""
    try:
        return period_range(period, start_date, end_date)
    except BadPeriod as bad:
        raise Invalid({bad.field: bad.message}, where=where) from None


@dataclass(frozen=True)
class PeriodState:
    period: Period
    start_date: date
    end_date: date
    locks_on: date | None
    locked: LockReason | None


async def _reason(session: AsyncSession, start: date, end: date) -> LockReason | None:
    plan = await settings(session)
    covering = await session.execute(
        select(PlanLock.start_date, PlanLock.end_date).where(
            PlanLock.start_date <= start, PlanLock.end_date >= end
        )
    )
    return lock_reason(
        start,
        end,
        today=today(),
        lock_after_days=plan.lock_after_days,
        locks=[(lock_start, lock_end) for lock_start, lock_end in covering],
    )


async def ensure_open(session: AsyncSession, identity: Identity, start: date, end: date) -> None:
    """A locked period's plan is the administrator's alone to change."""
    if identity.role == "admin":
        return
    reason = await _reason(session, start, end)
    if reason is not None:
        raise Invalid({"start_date": CLOSED[reason]})


async def period_states(
    session: AsyncSession, period: Period, start_date: date, count: int, *, before: int = 0
) -> list[PeriodState]:
    """`count` periods of a kind, the first `before` periods ahead of the one holding
    `start_date`, each with its lock."""
    plan = await settings(session)
    states = []
    start, end = dates_of(period, start_of(period, start_date))
    for _ in range(before):
        start, end = previous(period, start, end)
    for _ in range(count):
        reason = await _reason(session, start, end)
        states.append(PeriodState(period, start, end, locks_on(end, plan.lock_after_days), reason))
        start, end = dates_of(period, end + timedelta(days=1))
    return states


def _only_admin(identity: Identity) -> None:
    if identity.role != "admin":
        raise Forbidden("only an administrator may lock or unlock a period")


async def lock_period(
    sessions: SessionFactory,
    *,
    identity: Identity,
    period: Period,
    start_date: date,
    end_date: date | None,
) -> PlanLock:
    """Freeze a period's plan (and every period within it) for all but the administrator."""
    _only_admin(identity)
    start, end = dates_of(period, start_date, end_date)
    async with unit_of_work(sessions) as session:
        if await session.get(PlanLock, (period, start, end)) is not None:
            raise Conflict({"start_date": N_("this period is locked already")})
        lock = PlanLock(period=period, start_date=start, end_date=end, locked_by=identity.user_id)
        session.add(lock)
        await session.flush()
        await session.refresh(lock)
    return lock


async def unlock_period(
    sessions: SessionFactory,
    *,
    identity: Identity,
    period: Period,
    start_date: date,
    end_date: date | None,
) -> None:
    _only_admin(identity)
    start, end = dates_of(period, start_date, end_date, where="query")
    async with unit_of_work(sessions) as session:
        lock = await session.get(PlanLock, (period, start, end))
        if lock is None:
            raise NotFound("lock")
        await session.delete(lock)
