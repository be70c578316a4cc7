"""Events published by the planning service."""

from datetime import date
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.events import Contract, contract

SOURCE = "crm/planning"
PLAN_TOPIC = "crm.planning.plan"


class PlanLineSnapshot(Contract):
    line_id: UUID = Field(description="the plan line")
    manager_id: UUID = Field(description="the manager whose plan it is")
    company_id: UUID = Field(description="the client the revenue is planned for")
    period: Literal["day", "week", "month", "quarter", "year", "custom"] = Field(
        description="the kind of period the line covers"
    )
    start_date: date = Field(description="the period's first day")
    end_date: date = Field(description="the period's last day")
    amount: Decimal = Field(description="in the company's base currency")
    status: Literal["draft", "submitted", "approved", "doubtful", "rejected"] = Field(
        description="where the line is in its review"
    )
    client_name: str | None = Field(
        default=None, description="the client's name as planning knows it (for notices)"
    )


@contract("crm.plan.submitted.v1", topic=PLAN_TOPIC, source=SOURCE)
class PlanSubmitted(PlanLineSnapshot):
    """A manager submitted a plan line for review (or, with approval off, as final)."""


@contract("crm.plan.reviewed.v1", topic=PLAN_TOPIC, source=SOURCE)
class PlanReviewed(PlanLineSnapshot):
    """A head approved a plan line, marked it doubtful, or rejected it back to the manager."""

    reviewer_id: UUID = Field(description="the head (or administrator) who decided")
    comment: str | None = Field(default=None, description="the reviewer's word to the manager")


@contract("crm.plan.lock_reminder_due.v1", topic=PLAN_TOPIC, source=SOURCE)
class PlanLockReminderDue(Contract):
    """A period's plan locks soon and the manager still has lines in it not submitted: sent once
    per manager and period, a few days before the deadline."""

    reminder_id: UUID = Field(description="one per manager and period")
    manager_id: UUID = Field(description="the manager reminded")
    period: Literal["day", "week", "month", "quarter", "year", "custom"] = Field(
        description="the kind of period"
    )
    start_date: date = Field(description="the period's first day")
    end_date: date = Field(description="the period's last day")
    locks_on: date = Field(description="the first day the period is locked")
    unsubmitted: int = Field(ge=1, description="the manager's draft or rejected lines in it")
