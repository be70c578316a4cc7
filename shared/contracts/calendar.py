"""Events published by the calendar service."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.events import Contract, contract

SOURCE = "crm/calendar"
ACTIVITY_TOPIC = "crm.calendar.activity"

ActivityKind = Literal["call", "meeting", "letter", "task"]
KIND = Field(description="a call, a meeting, a letter (a reminder to send one) or a task")


class ActivitySnapshot(Contract):
    """An activity as it stands after the change the event reports."""

    activity_id: UUID = Field(description="the activity")
    kind: ActivityKind = KIND
    title: str = Field(description="what it is about", examples=["Rozmowa o ofercie"])
    owner_id: UUID = Field(description="who plans and reports on it")
    participant_ids: list[UUID] = Field(
        default_factory=list, description="colleagues taking part (reminded too)"
    )
    company_id: UUID | None = Field(default=None, description="the customer it concerns")
    contact_id: UUID | None = Field(default=None, description="the person it concerns")
    deal_id: UUID | None = Field(default=None, description="the deal it concerns")
    starts_at: datetime = Field(description="start, or the due time of a letter or task")
    ends_at: datetime = Field(description="end; equals `starts_at` for letters and tasks")
    all_day: bool = Field(default=False, description="for whole days, without times")
    rrule: str | None = Field(
        default=None,
        description="RFC 5545 recurrence rule (without DTSTART); null: once",
        examples=["FREQ=WEEKLY;BYDAY=MO;COUNT=10"],
    )
    status: Literal["scheduled", "done", "cancelled"] = Field(description="where it stands")
    sequence: int = Field(description="raised on every change (iCalendar SEQUENCE)")


@contract("crm.activity.scheduled.v1", topic=ACTIVITY_TOPIC, source=SOURCE)
class ActivityScheduled(ActivitySnapshot):
    """A call, meeting, letter or task was planned."""


@contract("crm.activity.rescheduled.v1", topic=ACTIVITY_TOPIC, source=SOURCE)
class ActivityRescheduled(ActivitySnapshot):
    """An activity moved: its start, end, due time or recurrence changed."""

    previous_starts_at: datetime = Field(description="the start before the change")
    previous_ends_at: datetime = Field(description="the end before the change")


@contract("crm.activity.cancelled.v1", topic=ACTIVITY_TOPIC, source=SOURCE)
class ActivityCancelled(ActivitySnapshot):
    """An activity will not take place."""


@contract("crm.activity.completed.v1", topic=ACTIVITY_TOPIC, source=SOURCE)
class ActivityCompleted(Contract):
    """The owner reported what came of a call, meeting, letter or task."""

    activity_id: UUID = Field(description="the activity (for a series' occurrence: its own)")
    kind: ActivityKind = KIND
    title: str = Field(description="what it was about", examples=["Rozmowa o ofercie"])
    owner_id: UUID = Field(description="who reported")
    company_id: UUID | None = Field(default=None, description="the customer it concerned")
    contact_id: UUID | None = Field(default=None, description="the person it concerned")
    deal_id: UUID | None = Field(default=None, description="the deal it concerned")
    result: str = Field(
        description="`completed`, `no_answer`, `rescheduled`, `cancelled` or an admin-defined type",
        examples=["completed"],
    )
    note: str = Field(
        description="what came of it, in the owner's words",
        examples=["Klient prosi o rabat 5%; oferta do piątku."],
    )
    completed_at: datetime = Field(description="when it was reported")


@contract("crm.activity.reminder_due.v1", topic=ACTIVITY_TOPIC, source=SOURCE)
class ActivityReminderDue(Contract):
    """A reminder's time came: remind the owner and the participants."""

    reminder_id: UUID = Field(description="one per reminder and occurrence; fired exactly once")
    activity_id: UUID = Field(description="the activity")
    kind: ActivityKind = KIND
    title: str = Field(description="what it is about")
    owner_id: UUID = Field(description="who plans it")
    recipient_ids: list[UUID] = Field(description="who is reminded: the owner and participants")
    occurrence_starts_at: datetime = Field(description="the start this reminder is about")
    minutes_before: int = Field(description="how long before the start the reminder is")
    place: str | None = Field(default=None, description="where it takes place, if said")


@contract("crm.activity.outcome_overdue.v1", topic=ACTIVITY_TOPIC, source=SOURCE)
class ActivityOutcomeOverdue(Contract):
    """An activity ended without an outcome report.

    Sent to the owner when it ends (`escalated` false) and, when the company escalates, to the
    head of the owner's group after the configured hours (`escalated` true).
    """

    activity_id: UUID = Field(description="the activity")
    kind: ActivityKind = KIND
    title: str = Field(description="what it was about")
    owner_id: UUID = Field(description="who should report")
    recipient_ids: list[UUID] = Field(description="who is told: the owner, or the group's head")
    occurrence_starts_at: datetime = Field(description="the start of the (occurrence that) ended")
    ends_at: datetime = Field(description="when it ended")
    escalated: bool = Field(description="false: the owner is asked; true: the head is told")
