"""Rules about users: what each role needs, and how e-mail addresses compare."""

from typing import Literal

Role = Literal["admin", "head", "manager", "staff"]
ROLES: tuple[Role, ...] = ("admin", "head", "manager", "staff")
MIN_PASSWORD_LENGTH = 10


def normalize_email(email: str) -> str:
    """E-mail addresses are unique whatever their case."""
    return email.strip().lower()


def placement_problems(role: Role, *, team_id: object, department_id: object) -> dict[str, str]:
    """What is wrong with where a user of `role` is placed, by field; empty when nothing."""
    problems: dict[str, str] = {}
    if role in ("head", "manager") and team_id is None:
        problems["team_id"] = f"a {role} belongs to a sales group"
    if role == "staff" and department_id is None:
        problems["department_id"] = "staff belong to a department"
    if role != "staff" and department_id is not None:
        problems["department_id"] = "only staff belong to a department"
    return problems


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"use at least {MIN_PASSWORD_LENGTH} characters"
    return None
