"""What leaves a CalDAV collection is recorded, so a sync report can tell the phones to drop it."""

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.calendar.tables import Activity, DavTombstone


def resource_name(activity: Activity) -> str:
    """The name of an activity's resource in a CalDAV collection."""
    return activity.dav_name or f"{activity.id}.ics"


def people_of(activity: Activity) -> set[UUID]:
    """Whose personal collections hold the activity: its owner and participants."""
    return {activity.owner_id, *activity.participant_ids}


def leave(
    session: AsyncSession,
    activity: Activity,
    *,
    people: set[UUID],
    owner_id: UUID | None = None,
) -> None:
    """The activity left the collections of `people` (and, with `owner_id`, of that owner's
    groups); an occurrence shown inside its series' resource leaves nothing of its own."""
    if activity.series_id is not None or not (people or owner_id):
        return
    session.add(
        DavTombstone(
            activity_id=activity.id,
            name=resource_name(activity),
            owner_id=owner_id,
            people=sorted(people),
        )
    )
