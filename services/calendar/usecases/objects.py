"""An iCalendar event saved as an activity, for imports and CalDAV alike: the series, its moved
occurrences (activities of their own, linked to it) and its cancelled ones (exceptions)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.calendar.domain.parsing import ImportedEvent
from services.calendar.tables import Activity
from services.calendar.usecases.activities import (
    Policy,
    add_activity,
    add_occurrence,
    cancel,
    change,
)
from shared.auth import Identity


@dataclass(frozen=True)
class Saved:
    activity: Activity
    changed: bool  # created, or its SEQUENCE went up


def values_of(event: ImportedEvent) -> dict[str, Any]:
    """What an activity takes from an event (its UID only when it is created)."""
    return {
        "kind": event.kind,
        "title": event.title,
        "note": event.note,
        "place": event.place,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "all_day": event.all_day,
        "time_zone": event.time_zone,
        "rrule": event.rrule,
        "exdates": sorted(set(event.exdates)),
        "rdates": sorted(set(event.rdates)),
        "reminders": event.reminders,
    }


async def occurrences_of(session: AsyncSession, series: Activity) -> list[Activity]:
    """The occurrences of a series that became activities of their own, by their start."""
    found = await session.scalars(
        select(Activity)
        .where(Activity.series_id == series.id)
        .order_by(Activity.recurrence_id)
        .with_for_update()
    )
    return list(found)


async def save_event(
    session: AsyncSession,
    identity: Identity,
    policy: Policy,
    event: ImportedEvent,
    *,
    existing: Activity | None,
    now: datetime,
    kept: dict[str, Any] | None = None,
) -> Saved:
    """Create or update the activity of `event` and its changed occurrences; `kept` adds
    columns only a CalDAV client sets (the resource name, the properties kept aside).

    Occurrences the CRM closed (reported on, cancelled) stay exceptions of the series whatever
    the event says, so a client's older copy never brings them back.
    """
    children = await occurrences_of(session, existing) if existing is not None else []
    closed = {child.recurrence_id for child in children if child.status != "scheduled"}
    values = values_of(event)
    overridden = {o.recurrence_id for o in event.overrides if o.recurrence_id is not None}
    values["exdates"] = sorted(set(values["exdates"]) | overridden | (closed - {None}))
    if existing is None:
        fields = {**values, **(kept or {}), "uid": event.uid}
        activity = await add_activity(session, identity, policy, fields, now=now)
        changed = True
    elif existing.status == "scheduled":
        before = existing.sequence
        activity = await change(
            session, identity, policy, existing, {**values, **(kept or {})}, now=now
        )
        changed = activity.sequence != before
    else:
        return Saved(existing, False)
    changed |= await _save_overrides(session, identity, policy, activity, event, children, now)
    if event.cancelled and activity.status == "scheduled":
        await cancel(session, activity, now=now)
        changed = True
    return Saved(activity, changed)


async def _save_overrides(
    session: AsyncSession,
    identity: Identity,
    policy: Policy,
    series: Activity,
    event: ImportedEvent,
    children: list[Activity],
    now: datetime,
) -> bool:
    """Moved occurrences become (or update) activities of their own; an open one the event no
    longer changes is cancelled, as the series holds that occurrence again."""
    by_start = {child.recurrence_id: child for child in children}
    changed = False
    for override in event.overrides:
        assert override.recurrence_id is not None
        child = by_start.pop(override.recurrence_id, None)
        if override.cancelled:
            if child is not None and child.status == "scheduled":
                await cancel(session, child, now=now)
                changed = True
            continue
        values = {**values_of(override), "rrule": None, "exdates": [], "rdates": []}
        if child is None:
            values.update(owner_id=series.owner_id, participant_ids=list(series.participant_ids))
            await add_occurrence(
                session, identity, policy, series, override.recurrence_id, values, now=now
            )
            changed = True
        elif child.status == "scheduled":
            before = child.sequence
            await change(session, identity, policy, child, values, now=now)
            changed |= child.sequence != before
    for child in by_start.values():
        if child.status == "scheduled" and child.recurrence_id not in event.exdates:
            await cancel(session, child, now=now)
            changed = True
    return changed
