"""Reminders before a period's plan locks: each manager with lines not submitted in a period is
reminded once, `days_before` days ahead of its deadline.

Any number of planning replicas run the scheduler on one database: a reminder is a row unique per
manager and period, inserted with the event in one transaction (ON CONFLICT DO NOTHING), so only
the replica whose insert wins sends it, and a crash before the commit leaves it for the next look.
"""

import asyncio
import contextlib
import logging
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.domain.locking import lock_reason, locks_on
from services.planning.tables import LockReminder, PlanLine, PlanLock
from services.planning.usecases.lines import EDITABLE
from services.planning.usecases.locks import today
from services.planning.usecases.plan_settings import settings
from shared.contracts.planning import PlanLockReminderDue
from shared.db import SessionFactory, unit_of_work
from shared.events import new_event
from shared.outbox import add_event

log = logging.getLogger(__name__)


async def _locked_by_hand(
    session: AsyncSession, first: date, last: date
) -> list[tuple[date, date]]:
    """The administrator's locks touching the days from `first` to `last`."""
    found = await session.execute(
        select(PlanLock.start_date, PlanLock.end_date).where(
            PlanLock.start_date <= last, PlanLock.end_date >= first
        )
    )
    return [(start, end) for start, end in found]


async def remind_before_lock(sessions: SessionFactory, *, today: date, days_before: int) -> int:
    """Remind the managers whose periods lock within `days_before` days; how many were sent."""
    sent = 0
    async with unit_of_work(sessions) as session:
        lock_after = (await settings(session)).lock_after_days
        if lock_after is None or days_before <= 0:
            return 0
        # locks_on = end + lock_after + 1; remind while locks_on - days_before <= today < locks_on
        first_end = today - timedelta(days=lock_after)
        last_end = first_end + timedelta(days=days_before - 1)
        due = (
            await session.execute(
                select(
                    PlanLine.manager_id,
                    PlanLine.period,
                    PlanLine.start_date,
                    PlanLine.end_date,
                    func.count(),
                )
                .where(
                    PlanLine.status.in_(EDITABLE), PlanLine.end_date.between(first_end, last_end)
                )
                .group_by(
                    PlanLine.manager_id, PlanLine.period, PlanLine.start_date, PlanLine.end_date
                )
            )
        ).all()
        locks = await _locked_by_hand(
            session, min((row[2] for row in due), default=today), last_end
        )
        for manager_id, period, start, end, unsubmitted in due:
            reason = lock_reason(start, end, today=today, lock_after_days=lock_after, locks=locks)
            if reason is not None:
                continue
            reminder_id = await session.scalar(
                insert(LockReminder)
                .values(manager_id=manager_id, period=period, start_date=start, end_date=end)
                .on_conflict_do_nothing()
                .returning(LockReminder.id)
            )
            if reminder_id is None:  # another replica (or an earlier look) sent it
                continue
            deadline = locks_on(end, lock_after)
            assert deadline is not None
            reminder = PlanLockReminderDue(
                reminder_id=reminder_id,
                manager_id=manager_id,
                period=period,
                start_date=start,
                end_date=end,
                locks_on=deadline,
                unsubmitted=unsubmitted,
            )
            await add_event(session, new_event(reminder, subject=reminder_id))
            sent += 1
    return sent


class Scheduler:
    """Looks for periods about to lock every `interval` seconds."""

    def __init__(self, sessions: SessionFactory, interval: float, days_before: int) -> None:
        self._sessions = sessions
        self._interval = interval
        self._days_before = days_before
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await remind_before_lock(
                    self._sessions, today=today(), days_before=self._days_before
                )
            except Exception:  # the database may be away for a moment; try again later
                log.exception("planning scheduler: reminding before deadlines failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)

    def stop(self) -> None:
        self._stopping.set()
