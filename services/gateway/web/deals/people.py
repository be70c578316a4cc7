"""Who deals can be given to and filtered by: the sales people a head or an administrator leads."""

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from services.gateway.identity import caller_identity
from services.gateway.tables import User
from shared.reads import ReadPool, Statement


@dataclass(frozen=True)
class Seller:
    id: str
    name: str


_SELLERS = select(User.id, User.name).where(
    User.active.is_(True), or_(User.role == "manager", User.role == "head")
)
_EVERY_SELLER = Statement.of(_SELLERS.order_by(User.name, User.id))
_GROUPS_SELLERS = Statement.of(
    _SELLERS.where(User.team_id == func.any(bindparam("teams", type_=ARRAY(PG_UUID())))).order_by(
        User.name, User.id
    )
)


async def led_by(request: Request, user: User) -> list[Seller]:
    """The active managers and heads of a head's groups (all of them for an administrator);
    nobody for a manager, who works only their own deals."""
    if user.role not in ("head", "admin"):
        return []
    reads: ReadPool = request.app.state.reads
    if user.role == "head":
        identity = (await caller_identity(request, user)).identity
        rows = await reads.rows(_GROUPS_SELLERS, teams=identity.team_ids)
    else:
        rows = await reads.rows(_EVERY_SELLER)
    return [Seller(row["id"], row["name"]) for row in rows]
