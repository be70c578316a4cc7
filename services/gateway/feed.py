"""The feed live in open pages: a change of a post (new, edited, commented, reacted to,
deleted, promoted) is pushed to the open tabs of the people its audience names, on every gateway
replica, over the notification stream; each tab then asks for the card as its user."""

import json
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.domain.audience import principals_of
from services.gateway.notifications import Listener, announce
from services.gateway.tables import User
from services.gateway.usecases.people import team_parents
from shared.db import SessionFactory

# pg_notify carries at most 8000 bytes: a longer audience (a folder's many followers) is
# widened to everyone's tabs, which then ask as themselves and are refused what is not theirs.
MAX_PAYLOAD = 7000


async def listener_of(sessions: SessionFactory, user: User) -> Listener:
    """What an open tab of `user` hears of the feed."""
    if user.role == "admin":
        return Listener(everything=True)
    async with sessions() as session:
        parents = await team_parents(session)
    principals = principals_of(
        user_id=user.id,
        role=user.role,
        team_id=user.team_id,
        department_id=user.department_id,
        parents=parents,
    )
    return Listener(principals=principals)


async def push_change(
    session: AsyncSession,
    *,
    change: str,
    post_id: UUID,
    author_id: UUID,
    audience: list[str],
    record: Any,
) -> None:
    """Tell the open pages of the post's readers, on every replica, once this commits."""
    payload: dict[str, Any] = {
        "event": "feed",
        "change": change,
        "post_id": str(post_id),
        "author_id": str(author_id),
        "audience": audience,
        "record": f"{record.target}:{record.target_id}" if record else None,
    }
    if len(json.dumps(payload)) > MAX_PAYLOAD:
        payload["audience"] = ["everyone"]
    await announce(session, payload)
