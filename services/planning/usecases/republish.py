"""Planning's snapshot topic made again from the database (`crm events republish planning
line`): each line once submitted, as `crm.plan.submitted.v1` or, once a head decided on it,
`crm.plan.reviewed.v1`; drafts are not published (nor tombstoned)."""

from typing import Any
from uuid import UUID

from sqlalchemy import select

from services.planning.tables import Client, PlanLine
from shared.bus import Message
from shared.contracts.planning import PlanReviewed, PlanSubmitted
from shared.republish import Aggregate, each, state

FIELDS = ("manager_id", "company_id", "period", "start_date", "end_date", "amount", "status")


def _line(row: Any) -> Message | None:
    line, client_name = row
    if line.status == "draft":
        return None
    data: dict[str, Any] = {
        "line_id": line.id,
        **{name: getattr(line, name) for name in FIELDS},
        "client_name": client_name,
    }
    if line.reviewed_by is None or line.status == "submitted":
        return state(line.id, line.updated_at, PlanSubmitted(**data))
    reviewed = PlanReviewed(**data, reviewer_id=UUID(line.reviewed_by), comment=line.review_comment)
    return state(line.id, line.updated_at, reviewed)


AGGREGATES: dict[str, Aggregate] = {
    "line": Aggregate(
        lambda: select(PlanLine, Client.name).outerjoin(Client, Client.id == PlanLine.company_id),
        PlanLine,
        each(_line),
    ),
}
