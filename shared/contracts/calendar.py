"""Events published by the calendar service."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.events import Contract, contract

SOURCE = "crm/calendar"
ACTIVITY_TOPIC = "crm.calendar.activity"

ActivityKind = Literal["call", "meeting", "letter", "task"]


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
