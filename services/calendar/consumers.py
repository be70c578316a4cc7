"""Events calendar applies to its replicas of users, groups and the records activities are
about (the inbox drops repeats)."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.calendar.tables import CustomerAccess, LinkedRecord, Member, Team
from services.calendar.usecases.feeds import end_feeds
from shared.consumer import Handler
from shared.contracts.gateway import TeamChanged, UserCreated, UserSnapshot, UserUpdated
from shared.events import Envelope
from shared.links import link_handlers
from shared.replicas import upsert_newer


async def on_user_snapshot(session: AsyncSession, event: Envelope[Any]) -> None:
    """Whose calendar, in which group and time zone, and the address ORGANIZER names;
    deactivated people lose their feeds."""
    user: UserSnapshot = event.data
    values = {
        "name": user.name,
        "role": user.role,
        "team_id": user.team_id,
        "department_id": user.department_id,
        "time_zone": user.time_zone,
        "active": user.active,
        "email": user.email,
    }
    await upsert_newer(session, Member, user.user_id, {**values, "changed_at": event.time})
    if not user.active:  # for good: reactivated, they make new addresses
        await end_feeds(session, user.user_id, at=event.time)


async def on_team_changed(session: AsyncSession, event: Envelope[Any]) -> None:
    """Heads see, subscribe to and are told about their groups' activities."""
    team: TeamChanged = event.data
    values = {"name": team.name, "parent_id": team.parent_id, "head_id": team.head_id}
    await upsert_newer(session, Team, team.team_id, {**values, "changed_at": event.time})


HANDLERS: Mapping[str, Handler] = {
    UserCreated.type: on_user_snapshot,
    UserUpdated.type: on_user_snapshot,
    TeamChanged.type: on_team_changed,
    **link_handlers(LinkedRecord, CustomerAccess),
}
