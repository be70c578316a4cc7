"""Importing `.ics` files: every event becomes (or updates) an activity, all or nothing."""

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import select

from services.calendar.domain import parsing
from services.calendar.tables import Activity
from services.calendar.usecases.activities import Policy
from services.calendar.usecases.objects import save_event
from shared.auth import Identity
from shared.db import SessionFactory, unit_of_work
from shared.errors import Invalid

MAX_EVENTS = 5000


@dataclass(frozen=True)
class Imported:
    created: int
    updated: int
    unchanged: int
    skipped: int = 0  # changed occurrences naming no occurrence of their series


async def import_calendar(
    sessions: SessionFactory, identity: Identity, policy: Policy, data: bytes, zone: str | None
) -> Imported:
    """Import into the caller's calendar; a UID imported before updates that activity."""
    try:
        events, skipped = parsing.read(data, zone or policy.time_zone)
    except parsing.BadCalendar as bad:
        raise Invalid({"file": str(bad)}) from None
    if len(events) > MAX_EVENTS:
        raise Invalid({"file": f"at most {MAX_EVENTS} events in one file"})
    owner_id = UUID(identity.user_id)
    created = updated = unchanged = 0
    now = datetime.now(UTC)
    async with unit_of_work(sessions) as session:
        for event in events:
            try:
                existing = await session.scalar(
                    select(Activity)
                    .where(Activity.owner_id == owner_id, Activity.uid == event.uid)
                    .with_for_update()
                )
                saved = await save_event(
                    session, identity, policy, event, existing=existing, now=now
                )
            except Invalid as invalid:
                problems = "; ".join(f"{k}: {v}" for k, v in invalid.problems.items())
                raise Invalid({"file": f"event {event.number} ({event.uid}): {problems}"}) from None
            created += existing is None
            updated += existing is not None and saved.changed
            unchanged += existing is not None and not saved.changed
    return Imported(created, updated, unchanged, skipped)
