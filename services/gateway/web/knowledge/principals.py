"""Readers, editors and must-read audiences as a page offers them: everyone, groups,
departments and people, by name."""

from dataclasses import dataclass

from sqlalchemy import select

from services.gateway.tables import Department, Team, User
from services.gateway.web.i18n import gettext as _
from shared.db import SessionFactory


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    group: str


async def principal_choices(sessions: SessionFactory, *, people: bool = True) -> list[Choice]:
    async with sessions() as session:
        teams = (await session.scalars(select(Team).order_by(Team.name))).all()
        departments = (await session.scalars(select(Department).order_by(Department.name))).all()
        users = (
            (await session.scalars(select(User).where(User.active).order_by(User.name))).all()
            if people
            else []
        )
    return [
        Choice("everyone", _("Everyone"), _("Everyone")),
        *(Choice(f"team:{t.id}", t.name, _("Sales groups")) for t in teams),
        *(Choice(f"department:{d.id}", d.name, _("Departments")) for d in departments),
        *(Choice(f"user:{u.id}", u.name, _("People")) for u in users),
    ]


def labels(choices: list[Choice]) -> dict[str, str]:
    return {choice.value: choice.label for choice in choices}
