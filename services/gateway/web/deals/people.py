"""Who deals can be given to and filtered by: the sales people a head or an administrator leads."""

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import select

from services.gateway.identity import identity_of
from services.gateway.tables import User
from shared.db import SessionFactory


@dataclass(frozen=True)
class Seller:
    id: str
    name: str


async def led_by(request: Request, user: User) -> list[Seller]:
    """The active managers and heads of a head's groups (all of them for an administrator);
    nobody for a manager, who works only their own deals."""
    if user.role not in ("head", "admin"):
        return []
    sessions: SessionFactory = request.app.state.sessions
    query = select(User.id, User.name).where(
        User.active.is_(True), User.role.in_(("manager", "head"))
    )
    if user.role == "head":
        identity = await identity_of(sessions, user)
        query = query.where(User.team_id.in_(identity.team_ids))
    async with sessions() as session:
        rows = await session.execute(query.order_by(User.name, User.id))
        return [Seller(str(row.id), row.name) for row in rows]
