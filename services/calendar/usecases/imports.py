"""Importing `.ics` files: every event becomes (or updates) an activity, all or nothing."""

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select

from services.calendar.domain import ical
from services.calendar.tables import Activity
from services.calendar.usecases.activities import Policy, add_activity, cancel, change
from shared.auth import Identity
from shared.db import SessionFactory, unit_of_work
from shared.errors import Invalid

MAX_EVENTS = 5000
TITLE_LENGTH = 300


@dataclass(frozen=True)
class Imported:
    created: int
    updated: int
    unchanged: int
    skipped: int = 0  # changed occurrences of series (RECURRENCE-ID), not imported


def _values(event: ical.ImportedEvent) -> dict[str, Any]:
    """What an activity takes from the event (its UID only when it is created)."""
    values = asdict(event)
    for kept_aside in ("cancelled", "number", "uid"):
        values.pop(kept_aside)
    values["title"] = values["title"][:TITLE_LENGTH]
    return values


async def import_calendar(
    sessions: SessionFactory, identity: Identity, policy: Policy, data: bytes, zone: str | None
) -> Imported:
    """Import into the caller's calendar; a UID imported before updates that activity."""
    try:
        events, skipped = ical.read(data, zone or policy.time_zone)
    except ical.BadCalendar as bad:
        raise Invalid({"file": str(bad)}) from None
    if len(events) > MAX_EVENTS:
        raise Invalid({"file": f"at most {MAX_EVENTS} events in one file"})
    owner_id = UUID(identity.user_id)
    created = updated = unchanged = 0
    now = datetime.now(UTC)
    async with unit_of_work(sessions) as session:
        for event in events:
            values = _values(event)
            try:
                existing = await session.scalar(
                    select(Activity)
                    .where(Activity.owner_id == owner_id, Activity.uid == event.uid)
                    .with_for_update()
                )
                if existing is None:
                    activity = await add_activity(
                        session, identity, policy, {**values, "uid": event.uid}, now=now
                    )
                    created += 1
                elif existing.status == "scheduled":
                    before = existing.sequence
                    activity = await change(session, identity, policy, existing, values, now=now)
                    updated += activity.sequence != before
                    unchanged += activity.sequence == before
                else:
                    unchanged += 1
                    continue
            except Invalid as invalid:
                problems = "; ".join(f"{k}: {v}" for k, v in invalid.problems.items())
                raise Invalid({"file": f"event {event.number} ({event.uid}): {problems}"}) from None
            if event.cancelled and activity.status == "scheduled":
                await cancel(session, activity, now=now)
    return Imported(created, updated, unchanged, skipped)
