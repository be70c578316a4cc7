"""Who may see a record: a manager their own, a head the group's subtree, staff their department's.

One rule for every service, in three forms: a check for one record, a SQL filter for lists, and
the same filter with the caller's values as named parameters, for a statement compiled once
per shape (`shared.reads`).
"""

from collections.abc import Callable
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import ColumnElement, bindparam, false, func, or_, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from shared.auth import Identity


def can_see(
    identity: Identity,
    *,
    owner_id: object = None,
    team_id: object = None,
    department_id: object = None,
) -> bool:
    """True when `identity` may see a record owned by `owner_id` in `team_id`/`department_id`."""
    if identity.role == "admin":
        return True
    if owner_id is not None and str(owner_id) == identity.user_id:
        return True
    if identity.role == "head" and team_id is not None:
        return str(team_id) in identity.team_ids
    if identity.role == "staff" and department_id is not None:
        return str(department_id) == identity.department_id
    return False


def visible_to(
    identity: Identity,
    *,
    owner: ColumnElement[Any] | Any,
    team: ColumnElement[Any] | Any | None = None,
    department: ColumnElement[Any] | Any | None = None,
) -> ColumnElement[bool]:
    """The same rule as a WHERE clause over a table's owner, group and department columns."""
    if identity.role == "admin":
        return true()
    allowed: list[ColumnElement[bool]] = [owner == identity.user_id]
    if identity.role == "head" and team is not None and identity.team_ids:
        allowed.append(team.in_(identity.team_ids))
    if identity.role == "staff" and department is not None and identity.department_id:
        allowed.append(department == identity.department_id)
    return or_(false(), *allowed)


def visible_by_owner(
    identity: Identity, owner: Any, people_in: Callable[[list[UUID]], Any]
) -> ColumnElement[bool]:
    """The rule for records whose group is their owner's current group (deals, plan lines).

    `people_in(team_ids)` selects the ids of the people in those groups (the service's replica).
    """
    if identity.role == "admin":
        return true()
    own: ColumnElement[bool] = owner == UUID(identity.user_id)
    if identity.role == "head" and identity.team_ids:
        return or_(own, owner.in_(people_in([UUID(team) for team in identity.team_ids])))
    return own


# Who sees what, as a shape: everything (admin), one's own, or one's own and the groups'.
Visibility = tuple[str, dict[str, Any]]


def visibility(identity: Identity) -> Visibility:
    """`visible_by_owner`'s rule as a shape, and its values as parameters."""
    if identity.role == "admin":
        return "all", {}
    me = UUID(identity.user_id)
    if identity.role == "head" and identity.team_ids:
        return "group", {"me": me, "teams": [UUID(team) for team in identity.team_ids]}
    return "own", {"me": me}


def visible_by_owner_shape(
    kind: str, owner: Any, people_in: Callable[[Any], Any]
) -> ColumnElement[bool]:
    """`visible_by_owner` for a shape of `visibility`: `me` and `teams` are parameters."""
    if kind == "all":
        return true()
    own: ColumnElement[bool] = owner == bindparam("me", type_=PG_UUID())
    if kind == "own":
        return own
    teams = bindparam("teams", type_=ARRAY(PG_UUID()))
    return or_(own, owner.in_(people_in(func.any(teams))))


# Who reads companies and contacts, as the administrator set it: every salesperson (a customer
# is often sold to by several), or only the owner's group.
CustomerReaders = Literal["sales", "group"]
CUSTOMER_READERS: tuple[CustomerReaders, ...] = ("sales", "group")


def may_read_customer(
    identity: Identity,
    *,
    owner_id: object,
    owner_team_id: object,
    readers: CustomerReaders,
) -> bool:
    """True when `identity` may see a company or contact owned by `owner_id` (in `owner_team_id`).

    Staff of other departments see none (a request shows them what they need); with `group`, a
    salesperson sees the owner's group's (a head: the subtree's), and one without owner like
    `sales`.
    """
    if identity.role == "admin":
        return True
    if identity.role == "staff":
        return False
    if readers == "sales" or owner_id is None or str(owner_id) == identity.user_id:
        return True
    return owner_team_id is not None and str(owner_team_id) in identity.team_ids


def customers_visible_to(
    identity: Identity,
    owner: Any,
    people_in: Callable[[list[UUID]], Any],
    readers: CustomerReaders,
) -> ColumnElement[bool]:
    """`may_read_customer` as a WHERE clause over an owner column (`people_in` as above)."""
    if identity.role == "admin":
        return true()
    if identity.role == "staff":
        return false()
    if readers == "sales":
        return true()
    allowed: list[ColumnElement[bool]] = [owner.is_(None), owner == UUID(identity.user_id)]
    if identity.team_ids:
        allowed.append(owner.in_(people_in([UUID(team) for team in identity.team_ids])))
    return or_(*allowed)
