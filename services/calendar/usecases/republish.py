"""Calendar's snapshot topic made again from the database (`crm events republish calendar
activity`): each activity's last planned state as `crm.activity.scheduled.v1`, a cancelled one
as `crm.activity.cancelled.v1` (activities are never tombstoned)."""

from typing import Any

from sqlalchemy import select

from services.calendar.tables import Activity
from services.calendar.usecases.activities import snapshot
from shared.bus import Message
from shared.contracts.calendar import ActivityCancelled, ActivityScheduled
from shared.republish import Aggregate, each, state


def _activity(row: Any) -> Message:
    (activity,) = row
    contract = ActivityCancelled if activity.status == "cancelled" else ActivityScheduled
    return state(activity.id, activity.updated_at, contract(**snapshot(activity)))


AGGREGATES: dict[str, Aggregate] = {
    "activity": Aggregate(lambda: select(Activity), Activity, each(_activity)),
}
