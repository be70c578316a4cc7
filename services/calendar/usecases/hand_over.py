"""Handing over what a person has planned when they leave or change jobs: their scheduled
activities (series whole, overdue ones still waiting for an outcome too) go to one colleague,
each as if changed by hand: a new SEQUENCE, reminders for the new owner, phones told. Done and
cancelled activities stay with whoever had them."""

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import exists, select
from sqlalchemy.orm import aliased

from services.calendar.tables import Activity
from services.calendar.usecases.activities import Policy, change, may_manage
from shared.auth import Identity
from shared.db import SessionFactory, unit_of_work
from shared.errors import Forbidden, Invalid
from shared.text import N_


async def hand_over(
    sessions: SessionFactory,
    identity: Identity,
    policy: Policy,
    *,
    from_owner_id: UUID,
    to_owner_id: UUID,
) -> int:
    """Give `from_owner_id`'s scheduled activities to `to_owner_id` (the administrator between
    anyone active, a head within the group); how many. One the colleague already has (the same
    UID, e.g. an invitation both imported) stays: it is in their calendar already."""
    if from_owner_id == to_owner_id:
        raise Invalid({"to_owner_id": N_("is the person handing over")})
    theirs = aliased(Activity)
    already = exists().where(theirs.owner_id == to_owner_id, theirs.uid == Activity.uid)
    query = (
        select(Activity)
        .where(Activity.owner_id == from_owner_id, Activity.status == "scheduled", ~already)
        .order_by(Activity.id)
        .with_for_update(of=Activity)
    )
    now = datetime.now(UTC)
    async with unit_of_work(sessions) as session:
        if not await may_manage(session, identity, from_owner_id):
            raise Forbidden("only the head of the person's group or the admin may hand over")
        activities = list(await session.scalars(query))
        for activity in activities:
            joined = [p for p in activity.participant_ids if p != to_owner_id]
            changes = {"owner_id": to_owner_id, "participant_ids": joined}
            await change(session, identity, policy, activity, changes, now=now)
    return len(activities)
