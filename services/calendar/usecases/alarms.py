"""Alarms: reminders, the outcome prompt and its escalation, each fired exactly once.

Any number of calendar replicas run the scheduler on one database: each claims due alarms with
`FOR UPDATE SKIP LOCKED`, publishes through the outbox and marks them fired in one transaction,
so a row is fired by exactly one of them, and a crash before the commit leaves it for the next.
"""

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.calendar.domain import recurrence
from services.calendar.tables import Activity, Alarm, Member, Team
from shared.contracts.calendar import ActivityOutcomeOverdue, ActivityReminderDue
from shared.db import SessionFactory, unit_of_work
from shared.events import new_event
from shared.metrics import ALARMS_FIRED
from shared.outbox import add_event

log = logging.getLogger(__name__)

BATCH = 200


def _next_occurrence(activity: Activity, after: datetime) -> datetime | None:
    """The first start after `after` (the start itself for a single activity)."""
    if not activity.rrule:
        return activity.starts_at if activity.starts_at > after else None
    zone = ZoneInfo(activity.time_zone)
    return recurrence.next_start(
        activity.starts_at, activity.rrule, activity.exdates, zone, after, activity.rdates
    )


def _before(activity: Activity, occurrence: datetime, minutes: int) -> datetime:
    """`minutes` before the start; for an all-day activity on the local clock, so a reminder
    at 9:00 the day before stays at 9:00 across a change of time."""
    if not activity.all_day:
        return occurrence - timedelta(minutes=minutes)
    zone = ZoneInfo(activity.time_zone)
    wall = occurrence.astimezone(zone).replace(tzinfo=None) - timedelta(minutes=minutes)
    return wall.replace(tzinfo=zone)


def _reminder(activity: Activity, minutes: int, after: datetime) -> Alarm | None:
    """The reminder `minutes` before the next start after `after`; at once if that has passed."""
    occurrence = _next_occurrence(activity, after)
    if occurrence is None:
        return None
    return Alarm(
        activity_id=activity.id,
        kind="reminder",
        fire_at=max(_before(activity, occurrence, minutes), after),
        occurrence_starts_at=occurrence,
        minutes_before=minutes,
    )


def _outcome_alarms(
    activity: Activity, after: datetime, escalation_hours: float | None
) -> list[Alarm]:
    """Ask for the outcome when the next occurrence ending after `after` ends; escalate later."""
    length = activity.ends_at - activity.starts_at
    occurrence = _next_occurrence(activity, after - length - timedelta(microseconds=1))
    if occurrence is None:
        return []
    ends = occurrence + length
    alarms = [
        Alarm(
            activity_id=activity.id, kind="outcome", fire_at=ends, occurrence_starts_at=occurrence
        )
    ]
    if escalation_hours:
        later = ends + timedelta(hours=escalation_hours)
        alarms.append(
            Alarm(
                activity_id=activity.id,
                kind="escalation",
                fire_at=later,
                occurrence_starts_at=occurrence,
            )
        )
    return alarms


async def drop_pending(session: AsyncSession, activity_id: UUID) -> None:
    """Forget the alarms of an activity that have not fired (it changed, ended or was closed)."""
    await session.execute(
        delete(Alarm).where(Alarm.activity_id == activity_id, Alarm.fired_at.is_(None))
    )


async def plan_alarms(
    session: AsyncSession, activity: Activity, *, now: datetime, escalation_hours: float | None
) -> None:
    """Replace the activity's pending alarms with those its current state calls for.

    An alarm that already fired for the same occurrence (and offset) is not planned again, so
    editing an activity after its reminder never reminds twice.
    """
    await drop_pending(session, activity.id)
    if activity.status != "scheduled":
        return
    fired = set(
        (
            await session.execute(
                select(Alarm.kind, Alarm.occurrence_starts_at, Alarm.minutes_before).where(
                    Alarm.activity_id == activity.id, Alarm.fired_at.is_not(None)
                )
            )
        ).all()
    )
    session.add_all(
        alarm
        for alarm in alarms_of(activity, now=now, escalation_hours=escalation_hours)
        if (alarm.kind, alarm.occurrence_starts_at, alarm.minutes_before or 0) not in fired
    )


def alarms_of(activity: Activity, *, now: datetime, escalation_hours: float | None) -> list[Alarm]:
    """The alarms a scheduled activity's current state calls for (none fired yet)."""
    alarms = [_reminder(activity, minutes, now) for minutes in activity.reminders]
    if activity.ends_at > now or activity.rrule:
        alarms += _outcome_alarms(activity, now, escalation_hours)
    return [alarm for alarm in alarms if alarm is not None]


async def _head_of(session: AsyncSession, user_id: UUID) -> UUID | None:
    team_id = await session.scalar(select(Member.team_id).where(Member.id == user_id))
    if team_id is None:
        return None
    head = await session.scalar(select(Team.head_id).where(Team.id == team_id))
    return head if head != user_id else None


async def _fire(
    session: AsyncSession,
    alarm: Alarm,
    activity: Activity,
    now: datetime,
    escalation_hours: float | None,
) -> None:
    if activity.status != "scheduled":
        return
    if activity.rrule:  # the series goes on: the same alarm for the next occurrence
        after = max(alarm.occurrence_starts_at, now)
        if alarm.kind == "reminder":
            following = _reminder(activity, alarm.minutes_before, after)
            session.add_all([following] if following else [])
        elif alarm.kind == "outcome":  # the next occurrence that has not ended yet
            ended = alarm.occurrence_starts_at + (activity.ends_at - activity.starts_at)
            later = max(ended, now) + timedelta(microseconds=1)
            session.add_all(_outcome_alarms(activity, later, escalation_hours))
        if alarm.occurrence_starts_at in set(activity.exdates):
            return  # reported on, or skipped
    if alarm.kind == "reminder":
        due = ActivityReminderDue(
            reminder_id=alarm.id,
            activity_id=activity.id,
            kind=activity.kind,
            title=activity.title,
            owner_id=activity.owner_id,
            recipient_ids=list(dict.fromkeys([activity.owner_id, *activity.participant_ids])),
            occurrence_starts_at=alarm.occurrence_starts_at,
            minutes_before=alarm.minutes_before,
            place=activity.place or activity.phone,
        )
        await add_event(session, new_event(due, subject=activity.id, time=now))
        return
    escalated = alarm.kind == "escalation"
    recipient = await _head_of(session, activity.owner_id) if escalated else activity.owner_id
    if recipient is None:
        return
    overdue = ActivityOutcomeOverdue(
        activity_id=activity.id,
        kind=activity.kind,
        title=activity.title,
        owner_id=activity.owner_id,
        recipient_ids=[recipient],
        occurrence_starts_at=alarm.occurrence_starts_at,
        ends_at=alarm.occurrence_starts_at + (activity.ends_at - activity.starts_at),
        escalated=escalated,
    )
    await add_event(session, new_event(overdue, subject=activity.id, time=now))


async def fire_due(sessions: SessionFactory, escalation_hours: float | None = None) -> int:
    """Fire the alarms that are due (one batch); returns how many this call claimed.

    The activity is locked with its alarm, so an edit (which re-plans alarms under the same lock)
    and the scheduler take turns: never both, never an alarm planned twice.
    """
    async with unit_of_work(sessions) as session:
        now = await session.scalar(select(func.now()))
        assert now is not None
        rows = (
            await session.execute(
                select(Alarm, Activity)
                .join(Activity, Activity.id == Alarm.activity_id)
                .where(Alarm.fired_at.is_(None), Alarm.fire_at <= now)
                .order_by(Alarm.fire_at)
                .limit(BATCH)
                .with_for_update(of=(Alarm, Activity), skip_locked=True)
            )
        ).all()
        for alarm, activity in rows:
            alarm.fired_at = now
            await _fire(session, alarm, activity, now, escalation_hours)
    for alarm, _ in rows:  # counted once committed: which replica fires how many
        ALARMS_FIRED.labels(alarm.kind).inc()
    return len(rows)


class Scheduler:
    """Fires due alarms every `interval` seconds (at once again while batches come full)."""

    def __init__(
        self, sessions: SessionFactory, interval: float, escalation_hours: float | None = None
    ) -> None:
        self._sessions = sessions
        self._interval = interval
        self._escalation_hours = escalation_hours
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                if await fire_due(self._sessions, self._escalation_hours) == BATCH:
                    continue
            except Exception:  # the database may be away for a moment; try again later
                log.exception("calendar scheduler: firing due alarms failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)

    def stop(self) -> None:
        self._stopping.set()
