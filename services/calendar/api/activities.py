"""`/api/activities`: calls, meetings, letters and tasks, and their outcome reports."""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import func, select

from services.calendar.domain.kinds import TIMED
from services.calendar.tables import Activity
from services.calendar.usecases import activities as usecases
from services.calendar.usecases.activities import Policy
from shared.auth import CurrentIdentity
from shared.deps import Sessions
from shared.errors import Invalid
from shared.pagination import Cursor, Limit, Page, keyset, page_of
from shared.text import N_

router = APIRouter(prefix="/api/activities", tags=["activities"])

Kind = Literal["call", "meeting", "letter", "task"]
Minutes = Annotated[int, Field(ge=0, le=40320, description="minutes before the start")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class When(Strict):
    """Start and end for calls and meetings; a due time for letters and tasks."""

    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    due: AwareDatetime | None = Field(default=None, description="letters and tasks")

    def times(self) -> dict[str, datetime]:
        if self.due is not None:
            return {"starts_at": self.due, "ends_at": self.due}
        times = {"starts_at": self.start, "ends_at": self.end}
        return {name: moment for name, moment in times.items() if moment is not None}


class Details(When):
    title: Annotated[str, Field(min_length=1, max_length=300, examples=["Telefon do klienta"])]
    note: Annotated[str, Field(max_length=5000)] = ""
    owner_id: UUID | None = Field(default=None, description="defaults to the caller")
    participant_ids: Annotated[list[UUID], Field(max_length=50)] = []
    company_id: UUID | None = None
    contact_id: UUID | None = None
    deal_id: UUID | None = None
    all_day: bool = False
    time_zone: Annotated[str | None, Field(max_length=64, examples=["Europe/Warsaw"])] = None
    place: Annotated[str | None, Field(max_length=300)] = None
    phone: Annotated[str | None, Field(max_length=50)] = None
    rrule: Annotated[
        str | None, Field(max_length=500, examples=["FREQ=WEEKLY;BYDAY=MO;COUNT=10"])
    ] = None
    exdates: Annotated[list[AwareDatetime], Field(max_length=500)] = []
    reminders: Annotated[list[Minutes] | None, Field(max_length=10)] = Field(
        default=None, description="defaults to the owner's defaults for the kind"
    )

    def values(self) -> dict[str, Any]:
        values = self.model_dump(exclude={"start", "end", "due"})
        if values["reminders"] is not None:
            values["reminders"] = sorted(set(values["reminders"]))
        values["rrule"] = values["rrule"] or None
        return {**values, **self.times()}


class ActivityCreate(Details):
    kind: Kind

    @model_validator(mode="after")
    def _times_fit_the_kind(self) -> Self:
        timed = self.kind in TIMED
        if timed and (self.start is None or self.end is None or self.due is not None):
            raise ValueError("a call or meeting has a start and an end (not a due time)")
        if not timed and self.due is None and self.start is None:
            raise ValueError("a letter or task has a due time")
        if not timed and self.due is None:
            self.due, self.start, self.end = self.start, None, None
        return self


class NextActivity(Details):
    """The activity planned in the same step as an outcome report (same kind unless given)."""

    kind: Kind | None = None

    @model_validator(mode="after")
    def _has_a_time(self) -> Self:
        if self.due is None and (self.start is None or self.end is None):
            raise ValueError("the next activity needs a start and an end, or a due time")
        return self


class ActivityUpdate(When):
    kind: Kind | None = None
    title: Annotated[str | None, Field(min_length=1, max_length=300)] = None
    note: Annotated[str | None, Field(max_length=5000)] = None
    owner_id: UUID | None = None
    participant_ids: Annotated[list[UUID] | None, Field(max_length=50)] = None
    company_id: UUID | None = None
    contact_id: UUID | None = None
    deal_id: UUID | None = None
    all_day: bool | None = None
    time_zone: Annotated[str | None, Field(max_length=64)] = None
    place: Annotated[str | None, Field(max_length=300)] = None
    phone: Annotated[str | None, Field(max_length=50)] = None
    rrule: Annotated[str | None, Field(max_length=500)] = None
    exdates: Annotated[list[AwareDatetime] | None, Field(max_length=500)] = None
    reminders: Annotated[list[Minutes] | None, Field(max_length=10)] = None
    status: Literal["scheduled", "done", "cancelled"] | None = Field(
        default=None, description="`done` only through the outcome report"
    )

    def changes(self) -> dict[str, Any]:
        """The fields sent; null clears the optional ones (links, place, recurrence)."""
        sent = self.model_dump(exclude_unset=True, exclude={"start", "end", "due", "status"})
        for required in (
            "kind",
            "title",
            "note",
            "owner_id",
            "all_day",
            "participant_ids",
            "time_zone",
        ):
            if sent.get(required, ...) is None:
                raise Invalid({required: N_("may not be null")})
        for listed in ("exdates", "reminders"):
            if listed in sent and sent[listed] is None:
                sent[listed] = []
        if sent.get("reminders"):
            sent["reminders"] = sorted(set(sent["reminders"]))
        if sent.get("rrule") == "":
            sent["rrule"] = None
        return {**sent, **self.times()}


class Outcome(Strict):
    result: Annotated[
        str,
        Field(
            pattern=r"^[a-z0-9_]{1,40}$",
            description="`completed`, `no_answer`, `rescheduled`, `cancelled` or an admin-defined type",
        ),
    ]
    note: Annotated[str, Field(min_length=1, max_length=2000)]
    next: NextActivity | None = None
    occurrence: AwareDatetime | None = Field(
        default=None, description="for a recurring series: the start of the occurrence reported on"
    )


class Report(BaseModel):
    result: str
    note: str
    completed_at: datetime


class ActivityPublic(BaseModel):
    id: UUID
    uid: str
    kind: Kind
    title: str
    note: str
    owner_id: UUID
    participant_ids: list[UUID]
    company_id: UUID | None
    contact_id: UUID | None
    deal_id: UUID | None
    start: datetime
    end: datetime
    due: datetime | None
    all_day: bool
    time_zone: str
    place: str | None
    phone: str | None
    rrule: str | None
    exdates: list[datetime]
    reminders: list[int]
    status: str
    awaiting_outcome: bool
    outcome: Report | None
    sequence: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, activity: Activity) -> "ActivityPublic":
        timed = activity.kind in TIMED or activity.all_day
        report = None
        if activity.outcome is not None and activity.completed_at is not None:
            report = Report(
                result=activity.outcome,
                note=activity.outcome_note or "",
                completed_at=activity.completed_at,
            )
        return cls(
            id=activity.id,
            uid=activity.uid,
            kind=activity.kind,
            title=activity.title,
            note=activity.note,
            owner_id=activity.owner_id,
            participant_ids=activity.participant_ids,
            company_id=activity.company_id,
            contact_id=activity.contact_id,
            deal_id=activity.deal_id,
            start=activity.starts_at,
            end=activity.ends_at,
            due=None if timed else activity.ends_at,
            all_day=activity.all_day,
            time_zone=activity.time_zone,
            place=activity.place,
            phone=activity.phone,
            rrule=activity.rrule,
            exdates=activity.exdates,
            reminders=activity.reminders,
            status=activity.status,
            awaiting_outcome=activity.status == "scheduled"
            and not activity.rrule
            and activity.ends_at < datetime.now(UTC),
            outcome=report,
            sequence=activity.sequence,
            created_at=activity.created_at,
            updated_at=activity.updated_at,
        )


class Reported(BaseModel):
    activity: ActivityPublic
    next: ActivityPublic | None


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
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page[ActivityPublic]:
    """Visible activities by start; `start`/`end` keep those with an occurrence in the range."""
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
    return page_of(items, limit, key=lambda item: (item.start.isoformat(), item.id))


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
