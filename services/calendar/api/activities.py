"""`/api/activities`: calls, meetings, letters and tasks, and their outcome reports."""

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from pydantic import AwareDatetime
from sqlalchemy import func, select

from services.calendar.schemas import (
    ActivityCreate,
    ActivityPublic,
    ActivityUpdate,
    HandedOver,
    HandOver,
    Kind,
    Outcome,
    Reported,
)
from services.calendar.tables import Activity
from services.calendar.usecases import activities as usecases
from services.calendar.usecases import hand_over
from services.calendar.usecases.activities import Policy
from shared.auth import CurrentIdentity
from shared.deps import Sessions
from shared.errors import Invalid
from shared.pagination import (
    Cursor,
    Limit,
    Page,
    UpdatedSince,
    changes,
    changes_page,
    keyset,
    page_of,
)
from shared.text import N_

router = APIRouter(prefix="/api/activities", tags=["activities"])


def policy_of(request: Request) -> Policy:
    policy: Policy = request.app.state.policy
    return policy


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_activity(
    body: ActivityCreate, request: Request, sessions: Sessions, identity: CurrentIdentity
) -> ActivityPublic:
    activity = await usecases.create_activity(
        sessions, identity, policy_of(request), {"kind": body.kind, **body.values()}
    )
    return ActivityPublic.of(activity)


@router.get("")
async def list_activities(
    sessions: Sessions,
    identity: CurrentIdentity,
    owner_id: UUID | None = None,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    kind: Kind | None = None,
    awaiting_outcome: bool | None = None,
    company_id: UUID | None = None,
    contact_id: UUID | None = None,
    deal_id: UUID | None = None,
    updated_since: UpdatedSince = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page[ActivityPublic]:
    """Visible activities by start; `start`/`end` keep those with an occurrence in the range.
    With `updated_since`, those changed since (cancelled ones too), in order of change."""
    if start is not None and end is not None and end <= start:
        raise Invalid({"end": N_("the end must be after the start")}, where="query")
    query = select(Activity).where(usecases.visible(identity), usecases.in_range(start, end))
    for column, value in (
        (Activity.owner_id, owner_id),
        (Activity.kind, kind),
        (Activity.company_id, company_id),
        (Activity.contact_id, contact_id),
        (Activity.deal_id, deal_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if awaiting_outcome is not None:
        awaiting = usecases.awaiting_outcome(func.now)
        query = query.where(awaiting if awaiting_outcome else ~awaiting)
    if updated_since is not None:
        query = changes(
            query,
            Activity.updated_at,
            Activity.id,
            since=updated_since,
            cursor=cursor,
            limit=limit,
        )
    else:
        query = keyset(
            query,
            (Activity.starts_at, Activity.id),
            cursor=cursor,
            types=(datetime.fromisoformat, UUID),
            limit=limit,
        )
    async with sessions() as session:
        rows = (await session.scalars(query)).all()
    items = [ActivityPublic.of(row) for row in rows]
    if updated_since is not None:
        return changes_page(items, limit)
    return page_of(items, limit, key=lambda item: (item.start.isoformat(), item.id))


@router.post("/hand-over")
async def hand_over_all(
    body: HandOver, request: Request, sessions: Sessions, identity: CurrentIdentity
) -> HandedOver:
    """Give a person's scheduled activities to a colleague: the administrator between anyone
    active, a head within the group. Done and cancelled ones stay; one the colleague already has
    (the same UID) stays too."""
    handed = await hand_over.hand_over(
        sessions,
        identity,
        policy_of(request),
        from_owner_id=body.from_owner_id,
        to_owner_id=body.to_owner_id,
    )
    return HandedOver(activities=handed)


@router.get("/{activity_id}")
async def get_activity(
    activity_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> ActivityPublic:
    async with sessions() as session:
        return ActivityPublic.of(await usecases.find(session, identity, activity_id))


@router.patch("/{activity_id}")
async def update_activity(
    activity_id: UUID,
    body: ActivityUpdate,
    request: Request,
    sessions: Sessions,
    identity: CurrentIdentity,
) -> ActivityPublic:
    if body.status == "done":
        raise Invalid({"status": N_("report an outcome to complete an activity")})
    changes = body.changes()
    if body.status == "cancelled":
        if changes:
            raise Invalid({"status": N_("cancel an activity on its own, without other changes")})
        await usecases.cancel_activity(sessions, identity, activity_id)
    if changes:
        await usecases.update_activity(sessions, identity, policy_of(request), activity_id, changes)
    async with sessions() as session:
        return ActivityPublic.of(await usecases.find(session, identity, activity_id))


@router.delete("/{activity_id}", status_code=status.HTTP_204_NO_CONTENT)
async def cancel_activity(
    activity_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> Response:
    """Cancel: the activity stays in the history and feeds (as cancelled), reminders stop."""
    await usecases.cancel_activity(sessions, identity, activity_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{activity_id}/outcome")
async def report_outcome(
    activity_id: UUID,
    body: Outcome,
    request: Request,
    sessions: Sessions,
    identity: CurrentIdentity,
) -> Reported:
    """Close the activity with its outcome; `next` plans the following one in the same step."""
    following = None
    if body.next is not None:
        following = {"kind": body.next.kind, **body.next.values()}
        if following["kind"] is None:
            following.pop("kind")
    async with sessions() as session:
        current = await usecases.find(session, identity, activity_id)
    if following is not None:
        following.setdefault("kind", current.kind)
    activity, planned = await usecases.report_outcome(
        sessions,
        identity,
        policy_of(request),
        activity_id,
        result=body.result,
        note=body.note,
        next_values=following,
        occurrence=body.occurrence,
    )
    return Reported(
        activity=ActivityPublic.of(activity),
        next=ActivityPublic.of(planned) if planned else None,
    )
