"""Rules about users: what each role needs, and how e-mail addresses compare."""

from typing import Literal

from shared.text import N_

Role = Literal["admin", "head", "manager", "staff"]
ROLES: tuple[Role, ...] = ("admin", "head", "manager", "staff")
MIN_PASSWORD_LENGTH = 10


def normalize_email(email: str) -> str:
    """E-mail addresses are unique whatever their case."""
    return email.strip().lower()


def placement_problems(role: Role, *, team_id: object, department_id: object) -> dict[str, str]:
    """What is wrong with where a user of `role` is placed, by field; empty when nothing."""
    problems: dict[str, str] = {}
    if role == "head" and team_id is None:
        problems["team_id"] = N_("a head belongs to a sales group")
    if role == "manager" and team_id is None:
        problems["team_id"] = N_("a manager belongs to a sales group")
    if role == "staff" and department_id is None:
        problems["department_id"] = N_("staff belong to a department")
    if role != "staff" and department_id is not None:
        problems["department_id"] = N_("only staff belong to a department")
    return problems


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return N_("use at least 10 characters")
    return None
