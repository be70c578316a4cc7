"""The gateway's snapshot topics made again from its database (`crm events republish gateway
user|team|department`): each record's current state; never tombstoned (a deactivated user is
`active` false)."""

from typing import Any

from sqlalchemy import select

from services.gateway.tables import Department, Team, User
from services.gateway.usecases.people import department_state, team_state, user_snapshot
from shared.bus import Message
from shared.contracts.gateway import UserUpdated
from shared.republish import Aggregate, each, state


def _user(row: Any) -> Message:
    (user,) = row
    return state(user.id, user.updated_at, UserUpdated(**user_snapshot(user)))


def _team(row: Any) -> Message:
    (team,) = row
    return state(team.id, team.updated_at, team_state(team))


def _department(row: Any) -> Message:
    (department,) = row
    return state(department.id, department.updated_at, department_state(department))


AGGREGATES: dict[str, Aggregate] = {
    "user": Aggregate(lambda: select(User), User, each(_user)),
    "team": Aggregate(lambda: select(Team), Team, each(_team)),
    "department": Aggregate(lambda: select(Department), Department, each(_department)),
}
