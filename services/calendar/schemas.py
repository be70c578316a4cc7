"""The calendar service's request and response models, shared by its routers and use cases."""

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from services.calendar.domain import limits
from services.calendar.domain.kinds import TIMED
from shared.errors import Invalid
from shared.schemas import Moment, Strict
from shared.text import N_, marked, matched_share

if TYPE_CHECKING:
    from services.calendar.tables import Activity


Kind = Literal["call", "meeting", "letter", "task"]


Minutes = Annotated[int, Field(ge=0, le=limits.MAX_MINUTES, description="minutes before the start")]
Title = Annotated[
    str, Field(min_length=1, max_length=limits.TITLE_LENGTH, examples=["Telefon do klienta"])
]
Note = Annotated[str, Field(max_length=limits.NOTE_LENGTH)]
Zone = Annotated[str, Field(max_length=limits.ZONE_LENGTH, examples=["Europe/Warsaw"])]
Place = Annotated[str, Field(max_length=limits.PLACE_LENGTH)]
Phone = Annotated[str, Field(max_length=limits.PHONE_LENGTH)]
Rule = Annotated[
    str, Field(max_length=limits.RULE_LENGTH, examples=["FREQ=WEEKLY;BYDAY=MO;COUNT=10"])
]
Dates = Annotated[list[Moment], Field(max_length=limits.MAX_DATES)]
Reminders = Annotated[list[Minutes], Field(max_length=limits.MAX_REMINDERS)]


class When(Strict):
    """Start and end for calls and meetings; a due time for letters and tasks."""

    start: Moment | None = None
    end: Moment | None = None
    due: Moment | None = Field(default=None, description="letters and tasks")

    def times(self) -> dict[str, datetime]:
        if self.due is not None:
            return {"starts_at": self.due, "ends_at": self.due}
        times = {"starts_at": self.start, "ends_at": self.end}
        return {name: moment for name, moment in times.items() if moment is not None}


class Details(When):
    title: Title
    note: Note = ""
    owner_id: UUID | None = Field(default=None, description="defaults to the caller")
    participant_ids: Annotated[list[UUID], Field(max_length=50)] = Field(default_factory=list)
    company_id: UUID | None = None
    contact_id: UUID | None = None
    deal_id: UUID | None = None
    all_day: bool = False
    time_zone: Zone | None = None
    place: Place | None = None
    phone: Phone | None = None
    rrule: Rule | None = None
    exdates: Dates = Field(default_factory=list)
    rdates: Dates = Field(default_factory=list, description="extra occurrences of the series")
    reminders: Reminders | None = Field(
        default=None,
        description="defaults to the owner's defaults for the kind (all-day: 9:00 the day before)",
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
    title: Title | None = None
    note: Note | None = None
    owner_id: UUID | None = None
    participant_ids: Annotated[list[UUID] | None, Field(max_length=50)] = None
    company_id: UUID | None = None
    contact_id: UUID | None = None
    deal_id: UUID | None = None
    all_day: bool | None = None
    time_zone: Zone | None = None
    place: Place | None = None
    phone: Phone | None = None
    rrule: Rule | None = None
    exdates: Dates | None = None
    rdates: Dates | None = None
    reminders: Reminders | None = None
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
        for listed in ("exdates", "rdates", "reminders"):
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
    rdates: list[datetime]
    reminders: list[int]
    status: str
    awaiting_outcome: bool
    outcome: Report | None
    sequence: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, activity: "Activity") -> "ActivityPublic":
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
            rdates=activity.rdates,
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


class HandOver(Strict):
    """A person's scheduled activities given to a colleague (when they leave or change jobs)."""

    from_owner_id: UUID
    to_owner_id: UUID


class HandedOver(BaseModel):
    activities: int


class Reported(BaseModel):
    activity: ActivityPublic
    next: ActivityPublic | None


class Occurrence(BaseModel):
    activity_id: UUID
    kind: Kind
    title: str
    owner_id: UUID
    start: datetime
    end: datetime
    all_day: bool
    status: str
    recurring: bool
    awaiting_outcome: bool


class FeedRequest(Strict):
    team_id: UUID | None = Field(default=None, description="a head's group feed; null: personal")


class FeedAddress(BaseModel):
    url: str = Field(description="https address of the feed; shown once, keep it secret")
    webcal: str = Field(description="the same address for calendar apps (webcal://)")


class FeedInfo(BaseModel):
    team_id: UUID | None
    created_at: datetime


class ImportResult(BaseModel):
    created: int
    updated: int
    unchanged: int
    skipped: int = Field(
        description="changed occurrences (RECURRENCE-ID) naming no occurrence of their series"
    )


class OutcomeTypeIn(Strict):
    code: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,40}$", examples=["offer_sent"])]
    label: Annotated[str, Field(min_length=1, max_length=100, examples=["Oferta wysłana"])]


class OutcomeTypeRename(Strict):
    label: Annotated[str, Field(min_length=1, max_length=100, examples=["Oferta wysłana"])]


class OutcomeTypeOut(BaseModel):
    code: str
    label: str | None = Field(
        description="null for a built-in type the administrator has not renamed (the UI names it)"
    )
    builtin: bool


class ReminderDefaults(BaseModel):
    call: Annotated[list[Minutes], Field(max_length=10)]
    meeting: Annotated[list[Minutes], Field(max_length=10)]
    letter: Annotated[list[Minutes], Field(max_length=10)]
    task: Annotated[list[Minutes], Field(max_length=10)]


class Fragment(BaseModel):
    text: str
    match: bool


class SearchHit(BaseModel):
    """An activity found by the global search."""

    kind: Literal["activity"] = "activity"
    id: UUID
    url: str = Field(description="the calendar with the activity open")
    title: list[Fragment] = Field(description="the title, matched words marked")
    snippet: list[Fragment] = Field(description="its kind and when it starts")
    score: float
    activity_kind: Kind
    starts_at: datetime
    status: str

    @classmethod
    def of(cls, activity: "Activity", query: str) -> "SearchHit":
        title = marked(activity.title, query)
        return cls(
            id=activity.id,
            url=f"/calendar?activity={activity.id}",
            title=[Fragment(text=text, match=match) for text, match in title],
            snippet=[],
            score=matched_share(title),
            activity_kind=activity.kind,
            starts_at=activity.starts_at,
            status=activity.status,
        )


class SearchHits(BaseModel):
    items: list[SearchHit]
