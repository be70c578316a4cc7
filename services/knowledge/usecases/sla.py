"""The SLA of running requests: the clock in the department's working hours, and a scheduler
that warns before it runs out and tells the department's head when it has.

Any number of knowledge replicas look at once: each locks the rows it handles
(`FOR UPDATE SKIP LOCKED`) and marks them (`warned_at`, `overdue_at`) with the event in the same
transaction, so each warning and each breach is announced once.
"""

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge.domain.lifecycle import RUNNING
from services.knowledge.domain.sla import (
    DEFAULT_HOURS,
    Clock,
    WorkingWeek,
    start_clock,
    week_of,
    working_time_between,
)
from services.knowledge.service_tables import Department, ServiceRequest
from services.knowledge.usecases.request_events import announce
from shared.contracts.knowledge import RequestDueSoon, RequestOverdue
from shared.db import SessionFactory, unit_of_work

log = logging.getLogger(__name__)
BATCH = 100


async def week_of_department(session: AsyncSession, department_id: Any) -> WorkingWeek:
    """The department's working week; Monday to Friday, 8 to 16 in Warsaw until it is known."""
    department = await session.get(Department, department_id)
    if department is None:
        return week_of(DEFAULT_HOURS)
    return week_of(department.working_hours, department.time_zone)


async def run_clock(
    session: AsyncSession, request: ServiceRequest, now: datetime, left: timedelta | None = None
) -> None:
    """Start (or restart, with `left` of it to go) the request's SLA clock."""
    total = timedelta(hours=request.sla_hours)
    week = await week_of_department(session, request.department_id)
    try:
        clock: Clock = start_clock(
            now, left=total if left is None else left, total=total, week=week
        )
    except ValueError:  # a department without a working hour: its requests have no deadline
        request.warn_at = request.due_at = request.sla_left = None
        return
    request.warn_at, request.due_at, request.sla_left = clock.warn_at, clock.due_at, None


async def stop_clock(session: AsyncSession, request: ServiceRequest, now: datetime) -> None:
    """Stop the clock while the requester is asked for information, keeping what is left."""
    if request.due_at is not None:
        week = await week_of_department(session, request.department_id)
        left = working_time_between(now, request.due_at, week)
        request.sla_left = int(left.total_seconds())
    request.warn_at = request.due_at = None


async def watch_deadlines(sessions: SessionFactory, *, now: datetime) -> int:
    """Warn of running requests close to their end and announce those past it; how many."""
    sent = 0
    async with unit_of_work(sessions) as session:
        for request in await _due(session, ServiceRequest.warn_at, ServiceRequest.warned_at, now):
            request.warned_at = request.updated_at = now
            await announce(session, request, RequestDueSoon, actor_id=None)
            sent += 1
        for request in await _due(session, ServiceRequest.due_at, ServiceRequest.overdue_at, now):
            request.overdue_at = request.updated_at = now
            await announce(session, request, RequestOverdue, actor_id=None)
            sent += 1
    return sent


async def _due(
    session: AsyncSession, when: Any, marked: Any, now: datetime
) -> list[ServiceRequest]:
    query = (
        select(ServiceRequest)
        .where(ServiceRequest.status.in_(RUNNING), marked.is_(None), when <= now)
        .order_by(when)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    return list(await session.scalars(query))


class Scheduler:
    """Looks for requests near or past their SLA every `interval` seconds."""

    def __init__(self, sessions: SessionFactory, interval: float) -> None:
        self._sessions = sessions
        self._interval = interval
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await watch_deadlines(self._sessions, now=datetime.now(UTC))
            except Exception:  # the database may be away for a moment; look again later
                log.exception("knowledge scheduler: watching request deadlines failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)

    def stop(self) -> None:
        self._stopping.set()
