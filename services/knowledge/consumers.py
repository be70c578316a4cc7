"""Events knowledge applies to its replicas of people and groups (who may read what) and of the
deals, companies and contacts documents are linked to (who may link them)."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge.service_consumers import HANDLERS as SERVICE_HANDLERS
from services.knowledge.tables import CustomerAccess, LinkedRecord, Member, Team
from shared.consumer import Handler, combined
from shared.contracts.gateway import TeamChanged, UserCreated, UserSnapshot, UserUpdated
from shared.events import Envelope
from shared.links import link_handlers
from shared.replicas import upsert_newer


async def on_user_snapshot(session: AsyncSession, event: Envelope[Any]) -> None:
    """Who is in which group and department: folder access and must-read audiences."""
    user: UserSnapshot = event.data
    values = {
        "name": user.name,
        "role": user.role,
        "team_id": user.team_id,
        "department_id": user.department_id,
        "active": user.active,
        "changed_at": event.time,
    }
    await upsert_newer(session, Member, user.user_id, values)


async def on_team_changed(session: AsyncSession, event: Envelope[Any]) -> None:
    """The group tree: a folder shared with a group is read by the groups below it too."""
    team: TeamChanged = event.data
    values = {"name": team.name, "parent_id": team.parent_id, "head_id": team.head_id}
    await upsert_newer(session, Team, team.team_id, {**values, "changed_at": event.time})


OWN_HANDLERS: Mapping[str, Handler] = {
    UserCreated.type: on_user_snapshot,
    UserUpdated.type: on_user_snapshot,
    TeamChanged.type: on_team_changed,
}
HANDLERS = combined(OWN_HANDLERS, link_handlers(LinkedRecord, CustomerAccess), SERVICE_HANDLERS)
