"""Who owns a company or a contact (its account manager), who may change it and give it away."""

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.deals.tables import Member
from shared.auth import Identity
from shared.errors import Forbidden, Invalid
from shared.text import N_
from shared.visibility import can_see

NOT_YOURS = N_("only the owner, their head or an administrator may change this record")
GIVEN_AWAY = N_("only a head or an administrator may give a customer to someone else")
OUTSIDE_GROUP = N_("a head may give customers only to people of the group")


async def check_may_change(
    session: AsyncSession, identity: Identity, owner_id: UUID | None
) -> None:
    """Raise `Forbidden` unless `identity` is the owner, a head over the owner's group or an
    administrator (a record without owner: the administrator only)."""
    if identity.role == "admin":
        return
    owner = await session.get(Member, owner_id) if owner_id is not None else None
    team_id = owner.team_id if owner is not None else None
    if owner_id is None or not can_see(identity, owner_id=owner_id, team_id=team_id):
        raise Forbidden(NOT_YOURS)


async def check_new_owner(session: AsyncSession, identity: Identity, owner_id: UUID | None) -> None:
    """The caller may make `owner_id` a customer's owner: themselves; a head, someone of the
    group; an administrator, anyone active."""
    if owner_id is None:
        raise Invalid({"owner_id": N_("may not be null")})
    person = await session.get(Member, owner_id) if str(owner_id) != identity.user_id else None
    check_giving(identity, owner_id, person)


def check_giving(identity: Identity, owner_id: UUID, person: Any) -> None:
    """`check_new_owner` with the person (their `active` and `team_id`) already found."""
    if str(owner_id) == identity.user_id:
        return
    if identity.role not in ("head", "admin"):
        raise Forbidden(GIVEN_AWAY)
    if person is None or not person.active:
        raise Invalid({"owner_id": N_("no such active user")})
    if identity.role == "head" and str(person.team_id) not in identity.team_ids:
        raise Forbidden(OUTSIDE_GROUP)
