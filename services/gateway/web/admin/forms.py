"""What the administrator's people pages share: the lists to choose from, problems by field."""

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from services.gateway.domain.people import may_lead, time_zones
from services.gateway.tables import Department, Team, User
from services.gateway.web.i18n import current_locale
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import role_label
from shared import validation
from shared.db import SessionFactory
from shared.errors import Invalid

LANGUAGES = [("pl", "Polski"), ("en", "English")]


@dataclass(frozen=True)
class People:
    """Everyone, every group and every department, by name."""

    users: list[User]
    teams: list[Team]
    departments: list[Department]

    def team_names(self) -> dict[Any, str]:
        return {team.id: team.name for team in self.teams}

    def leaders(self) -> list[tuple[Any, str]]:
        """Who may head a group: active heads (placed or still waiting) and administrators."""
        return [(u.id, u.name) for u in self.users if u.active and may_lead(u.role)]


async def people(sessions: SessionFactory) -> People:
    async with sessions() as session:
        users = (await session.scalars(select(User).order_by(User.name))).all()
        teams = (await session.scalars(select(Team).order_by(Team.name))).all()
        departments = (await session.scalars(select(Department).order_by(Department.name))).all()
    return People(list(users), list(teams), list(departments))


def user_choices(found: People) -> dict[str, Any]:
    """The options of a user's form."""
    return {
        "teams": [(team.id, team.name) for team in found.teams],
        "departments": [(d.id, d.name) for d in found.departments],
        "roles": [(role, role_label(role)) for role in ("manager", "head", "staff", "admin")],
        "languages": LANGUAGES,
        "zones": sorted(time_zones()),
    }


def field_problems(invalid: ValidationError) -> dict[str, str]:
    """What pydantic found wrong in a form, by field, in the reader's language."""
    return validation.by_field(invalid.errors(), current_locale.get())


def translated(invalid: Invalid) -> dict[str, str]:
    """A use case's problems in the reader's language."""
    return {field: _(message) for field, message in invalid.problems.items()}


def blank_is_none(form: dict[str, str], *names: str) -> dict[str, str | None]:
    """The form with the empty choices of `names` (e.g. "— none —") as None."""
    return {key: (None if key in names and not value else value) for key, value in form.items()}
