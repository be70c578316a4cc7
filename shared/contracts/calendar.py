"""Events published by the calendar service."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.events import Contract, contract

SOURCE = "crm/calendar"
ACTIVITY_TOPIC = "crm.calendar.activity"

ActivityKind = Literal["call", "meeting", "letter", "task"]


class ActivitySnapshot(Contract):
    """An activity as it stands after the change the event reports."""

    activity_id: UUID
    kind: ActivityKind
    title: str = Field(examples=["Rozmowa o ofercie"])
    owner_id: UUID
    participant_ids: list[UUID] = Field(default_factory=list)
    company_id: UUID | None = None
    contact_id: UUID | None = None
    deal_id: UUID | None = None
    starts_at: datetime = Field(description="start, or the due time of a letter or task")
    ends_at: datetime = Field(description="end; equals `starts_at` for letters and tasks")
    all_day: bool = False
    rrule: str | None = Field(default=None, examples=["FREQ=WEEKLY;BYDAY=MO;COUNT=10"])
    status: Literal["scheduled", "done", "cancelled"]
    sequence: int = Field(description="raised on every change (iCalendar SEQUENCE)")


@contract("crm.activity.scheduled.v1", topic=ACTIVITY_TOPIC, source=SOURCE)
class ActivityScheduled(ActivitySnapshot):
    """A call, meeting, letter or task was planned."""


@contract("crm.activity.rescheduled.v1", topic=ACTIVITY_TOPIC, source=SOURCE)
class ActivityRescheduled(ActivitySnapshot):
    """An activity moved: its start, end, due time or recurrence changed."""

    previous_starts_at: datetime
    previous_ends_at: datetime


@contract("crm.activity.cancelled.v1", topic=ACTIVITY_TOPIC, source=SOURCE)
class ActivityCancelled(ActivitySnapshot):
    """An activity will not take place."""


@contract("crm.activity.completed.v1", topic=ACTIVITY_TOPIC, source=SOURCE)
class ActivityCompleted(Contract):
    """The owner reported what came of a call, meeting, letter or task."""

    activity_id: UUID
    kind: ActivityKind
    title: str = Field(examples=["Rozmowa o ofercie"])
    owner_id: UUID
    company_id: UUID | None = None
    contact_id: UUID | None = None
    deal_id: UUID | None = None
    result: str = Field(
        description="`completed`, `no_answer`, `rescheduled`, `cancelled` or an admin-defined type",
        examples=["completed"],
    )
    note: str = Field(examples=["Klient prosi o rabat 5%; oferta do piątku."])
    completed_at: datetime


@contract("crm.activity.reminder_due.v1", topic=ACTIVITY_TOPIC, source=SOURCE)
class ActivityReminderDue(Contract):
    """A reminder's time came: remind the owner and the participants."""

    reminder_id: UUID = Field(description="one per reminder and occurrence; fired exactly once")
    activity_id: UUID
    kind: ActivityKind
    title: str
    owner_id: UUID
    recipient_ids: list[UUID]
    occurrence_starts_at: datetime = Field(description="the start this reminder is about")
    minutes_before: int
    place: str | None = None


@contract("crm.activity.outcome_overdue.v1", topic=ACTIVITY_TOPIC, source=SOURCE)
class ActivityOutcomeOverdue(Contract):
    """An activity ended without an outcome report.

    Sent to the owner when it ends (`escalated` false) and, when the company escalates, to the
    head of the owner's group after the configured hours (`escalated` true).
    """

    activity_id: UUID
    kind: ActivityKind
    title: str
    owner_id: UUID
    recipient_ids: list[UUID]
    occurrence_starts_at: datetime = Field(description="the start of the (occurrence that) ended")
    ends_at: datetime
    escalated: bool
