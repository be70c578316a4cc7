"""Who deals can be given to and filtered by: the sales people a head or an administrator leads."""

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import Boolean, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from services.gateway.identity import caller_identity
from services.gateway.tables import User
from services.gateway.web.i18n import gettext as _
from shared.reads import ReadPool, Statement


@dataclass(frozen=True)
class Seller:
    id: str
    name: str


_SELLERS = select(User.id, User.name, User.active).where(
    User.active.is_(True) | bindparam("former", type_=Boolean),
    or_(User.role == "manager", User.role == "head"),
)
_EVERY_SELLER = Statement.of(_SELLERS.order_by(User.active.desc(), User.name, User.id))
_GROUPS_SELLERS = Statement.of(
    _SELLERS.where(User.team_id == func.any(bindparam("teams", type_=ARRAY(PG_UUID())))).order_by(
        User.active.desc(), User.name, User.id
    )
)


async def led_by(request: Request, user: User, *, former: bool = False) -> list[Seller]:
    """The active managers and heads of a head's groups (all of them for an administrator);
    nobody for a manager, who works only their own deals. With `former`, those deactivated
    too, after them and marked (their deals stay theirs until given to someone else)."""
    if user.role not in ("head", "admin"):
        return []
    reads: ReadPool = request.app.state.reads
    if user.role == "head":
        identity = (await caller_identity(request, user)).identity
        rows = await reads.rows(_GROUPS_SELLERS, teams=identity.team_ids, former=former)
    else:
        rows = await reads.rows(_EVERY_SELLER, former=former)
    return [
        Seller(
            row["id"],
            row["name"] if row["active"] else _("%(name)s (inactive)") % {"name": row["name"]},
        )
        for row in rows
    ]
