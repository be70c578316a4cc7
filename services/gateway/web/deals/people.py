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
_NAME = Statement.of(select(User.name).where(User.id == bindparam("id", type_=PG_UUID())))
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


async def owner_choices(request: Request, user: User, owner_id: str | None) -> list[Seller]:
    """Whom a head or an administrator may make a deal's owner or a customer's account manager,
    with the one it has kept even when not among them; nobody for a manager, who keeps their
    own."""
    sellers = await led_by(request, user)
    if sellers and owner_id and all(seller.id != owner_id for seller in sellers):
        sellers = [*sellers, Seller(owner_id, await name_of(request, owner_id) or "—")]
    return sellers


async def name_of(request: Request, user_id: str | None) -> str | None:
    """A person's name (a deactivated one's too), or None for nobody."""
    if not user_id:
        return None
    reads: ReadPool = request.app.state.reads
    rows = await reads.rows(_NAME, id=user_id)
    return str(rows[0]["name"]) if rows else None


def gives_customers(user: User) -> bool:
    """Whether a customer's form offers its account manager: to a head or an administrator."""
    return user.role in ("head", "admin")


def may_change(user: User, owner_id: str | None, led: list[Seller]) -> bool:
    """Whether `user` may change a customer of `owner_id`: the owner, the administrator, a head
    over the owner's group (whose people are `led`)."""
    if user.role == "admin" or (owner_id is not None and owner_id == str(user.id)):
        return True
    return user.role == "head" and any(seller.id == owner_id for seller in led)
