"""Rules about users: what each role needs, and how e-mail addresses compare."""

from functools import cache
from typing import Literal
from zoneinfo import available_timezones

from shared.text import N_

Role = Literal["admin", "head", "manager", "staff"]
ROLES: tuple[Role, ...] = ("admin", "head", "manager", "staff")
MIN_PASSWORD_LENGTH = 10


def normalize_email(email: str) -> str:
    """E-mail addresses are unique whatever their case."""
    return email.strip().lower()


def placement_problems(role: Role, *, department_id: object) -> dict[str, str]:
    """What is wrong with where a user of `role` is placed, by field; empty when nothing.

    A seller may wait for a group that does not exist yet (a head is often hired to lead a
    new one): until placed, they see only their own records and count in no group's totals.
    """
    problems: dict[str, str] = {}
    if role == "staff" and department_id is None:
        problems["department_id"] = N_("staff belong to a department")
    if role != "staff" and department_id is not None:
        problems["department_id"] = N_("only staff belong to a department")
    return problems


def may_lead(role: str) -> bool:
    """Whether a user of `role` may head a sales group."""
    return role in ("head", "admin")


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return N_("use at least 10 characters")
    return None


@cache
def time_zones() -> frozenset[str]:
    """The IANA time zones a user may live in."""
    return frozenset(available_timezones())


def time_zone_problem(zone: str) -> str | None:
    if zone not in time_zones():
        return N_("choose a time zone from the list, e.g. Europe/Warsaw")
    return None
