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
    line_id: UUID
    manager_id: UUID
    company_id: UUID
    period: Literal["day", "week", "month", "quarter", "year", "custom"]
    start_date: date
    end_date: date
    amount: Decimal = Field(description="in the company's base currency")
    status: Literal["draft", "submitted", "approved", "doubtful", "rejected"]


@contract("crm.plan.submitted.v1", topic=PLAN_TOPIC, source=SOURCE)
class PlanSubmitted(PlanLineSnapshot):
    """A manager submitted a plan line for review (or, with approval off, as final)."""


@contract("crm.plan.reviewed.v1", topic=PLAN_TOPIC, source=SOURCE)
class PlanReviewed(PlanLineSnapshot):
    """A head approved a plan line, marked it doubtful, or rejected it back to the manager."""

    reviewer_id: UUID
    comment: str | None = None
