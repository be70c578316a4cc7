"""Importing `.ics` files: every event becomes (or updates) an activity, all or nothing.

The file is read in a process of its own (`read_ics`); its new events are checked and turned
into rows, alarms and announcements a few at a time, the event loop free in between, and written
with a statement per table and thousand rows. Events whose UID was imported before update their
activity one by one, as an edit would. So a file of thousands of events takes seconds, and other
requests are answered meanwhile.
"""

import asyncio
import pickle
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select

from services.calendar.domain import parsing
from services.calendar.tables import Activity
from services.calendar.usecases.activities import Policy, check_times, snapshot
from services.calendar.usecases.alarms import alarms_of
from services.calendar.usecases.objects import save_event
from shared.auth import Identity
from shared.contracts.calendar import ActivityCancelled, ActivityScheduled
from shared.db import SessionFactory, copy_rows, unit_of_work
from shared.errors import Invalid
from shared.events import Envelope, new_event
from shared.outbox import add_events

MAX_EVENTS = 5000
TITLE_LENGTH = 300
_PACE = 5  # events checked or updated between two looks at the event loop
_ROWS = 1000  # rows written in one statement

ACTIVITY_COLUMNS = (
    "id",
    "uid",
    "kind",
    "title",
    "note",
    "owner_id",
    "participant_ids",
    "starts_at",
    "ends_at",
    "all_day",
    "time_zone",
    "place",
    "rrule",
    "exdates",
    "rdates",
    "recurs_until",
    "reminders",
    "status",
    "sequence",
    "created_by",
    "updated_at",
)
ALARM_COLUMNS = ("id", "activity_id", "kind", "fire_at", "occurrence_starts_at", "minutes_before")


@dataclass(frozen=True)
class Imported:
    created: int
    updated: int
    unchanged: int
    skipped: int = 0  # changed occurrences naming no occurrence of their series


@dataclass
class Fresh:
    """New activities, checked, as rows to write with their alarms and events."""

    activities: list[tuple[Any, ...]] = field(default_factory=list)
    alarms: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[Envelope[Any]] = field(default_factory=list)


def _values(event: parsing.ImportedEvent) -> dict[str, Any]:
    """What an activity takes from the event (its UID only when it is created)."""
    values = asdict(event)
    for kept_aside in ("cancelled", "number", "uid", "extra", "recurrence_id", "overrides"):
        values.pop(kept_aside)
    values["title"] = values["title"][:TITLE_LENGTH]
    return values


def _refusal(event: parsing.ImportedEvent, invalid: Invalid) -> Invalid:
    problems = "; ".join(f"{k}: {v}" for k, v in invalid.problems.items())
    return Invalid({"file": f"event {event.number} ({event.uid}): {problems}"})


async def _read(data: bytes, zone: str) -> tuple[list[parsing.ImportedEvent], int]:
    """`parsing.read` in a process of its own (see the module's docstring)."""
    reader = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.calendar.usecases.read_ics",
        zone,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await reader.communicate(data)
    if reader.returncode != 0:
        raise RuntimeError(f"reading the .ics file failed: {err.decode(errors='replace')[-2000:]}")
    outcome, found = pickle.loads(out)  # our own child's answer
    if outcome == "refused":
        raise parsing.BadCalendar(*found)
    return found  # type: ignore[no-any-return]


async def _fresh(
    events: Sequence[parsing.ImportedEvent], owner_id: UUID, policy: Policy, now: datetime
) -> Fresh:
    """The new events as the caller's activities, checked as one planned by hand (no people or
    records to look up: an import names neither)."""
    fresh = Fresh()
    for number, event in enumerate(events):
        if number % _PACE == 0:
            await asyncio.sleep(0)
        values = _values(event)
        try:
            check_times(values)
        except Invalid as invalid:
            raise _refusal(event, invalid) from None
        activity = Activity(
            id=uuid4(),
            uid=event.uid,
            owner_id=owner_id,
            participant_ids=[],
            company_id=None,
            contact_id=None,
            deal_id=None,
            phone=None,
            status="scheduled",
            sequence=0,
            created_by=owner_id,
            updated_at=now,
            **values,
        )
        fresh.events.append(new_event(ActivityScheduled(**snapshot(activity)), subject=activity.id))
        if event.cancelled:  # kept, as a cancellation is (feeds show it), with no alarms
            activity.status, activity.sequence = "cancelled", 1
            cancelled = ActivityCancelled(**snapshot(activity))
            fresh.events.append(new_event(cancelled, subject=activity.id))
        else:
            for alarm in alarms_of(activity, now=now, escalation_hours=policy.escalation_hours):
                fresh.alarms.append(
                    (
                        uuid4(),
                        activity.id,
                        alarm.kind,
                        alarm.fire_at,
                        alarm.occurrence_starts_at,
                        alarm.minutes_before or 0,
                    )
                )
        fresh.activities.append(tuple(getattr(activity, name) for name in ACTIVITY_COLUMNS))
    return fresh


async def import_calendar(
    sessions: SessionFactory, identity: Identity, policy: Policy, data: bytes, zone: str | None
) -> Imported:
    """Import into the caller's calendar; a UID imported before updates that activity."""
    try:
        events, skipped = await _read(data, zone or policy.time_zone)
    except parsing.BadCalendar as bad:
        context = {"file": {"reason": bad.reason}} if bad.reason else None
        raise Invalid({"file": bad.message}, context=context) from None
    if len(events) > MAX_EVENTS:
        raise Invalid({"file": f"at most {MAX_EVENTS} events in one file"})
    owner_id = UUID(identity.user_id)
    now = datetime.now(UTC)
    async with unit_of_work(sessions) as session:
        known = await session.scalars(
            select(Activity)
            .where(Activity.owner_id == owner_id, Activity.uid.in_({e.uid for e in events}))
            .with_for_update()
        )
        existing = {activity.uid: activity for activity in known}
        # A UID twice in one file: the later event is the one that counts. New events without
        # changed occurrences are written in bulk; the others are saved one by one, as CalDAV does.
        latest = {event.uid: event for event in events if event.uid not in existing}
        plain = [event for event in latest.values() if not event.overrides]
        fresh = await _fresh(plain, owner_id, policy, now)
        for start in range(0, len(fresh.activities), _ROWS):
            await copy_rows(
                session, "activity", ACTIVITY_COLUMNS, fresh.activities[start : start + _ROWS]
            )
        for start in range(0, len(fresh.alarms), _ROWS):
            await copy_rows(session, "alarm", ALARM_COLUMNS, fresh.alarms[start : start + _ROWS])
        for start in range(0, len(fresh.events), _ROWS):
            await add_events(session, fresh.events[start : start + _ROWS])
        one_by_one = [
            e for e in events if e.uid in existing or (e.overrides and latest[e.uid] is e)
        ]
        updated, unchanged = await _save(session, identity, policy, one_by_one, existing, now)
    created = len(latest)
    repeated = len(events) - created - sum(e.uid in existing for e in events)
    return Imported(created, updated - (created - len(plain)) + repeated, unchanged, skipped)


async def _save(
    session: Any,
    identity: Identity,
    policy: Policy,
    events: Sequence[parsing.ImportedEvent],
    existing: dict[str, Activity],
    now: datetime,
) -> tuple[int, int]:
    """Events imported before change their activities as an edit would, and new events with
    changed occurrences are saved with them: (saved with a change, saved without one)."""
    changed = unchanged = 0
    for number, event in enumerate(events):
        if number % _PACE == 0:
            await asyncio.sleep(0)
        try:
            saved = await save_event(
                session, identity, policy, event, existing=existing.get(event.uid), now=now
            )
        except Invalid as invalid:
            raise _refusal(event, invalid) from None
        changed += saved.changed
        unchanged += not saved.changed
    return changed, unchanged
