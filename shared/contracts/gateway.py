"""Events published by the gateway: people and sales groups, as full snapshots for replicas."""

from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.events import Contract, contract

SOURCE = "crm/gateway"
USER_TOPIC = "crm.gateway.user"
TEAM_TOPIC = "crm.gateway.team"

Role = Literal["admin", "head", "manager", "staff"]


class UserSnapshot(Contract):
    """Everything other services may keep about a user (never the password)."""

    user_id: UUID = Field(description="the user")
    email: str = Field(
        description="the address they sign in with", examples=["anna.nowak@example.pl"]
    )
    name: str = Field(description="the name others see", examples=["Anna Nowak"])
    role: Role = Field(
        description="`admin`, `head` (of a sales group), `manager` or `staff` (of a department)"
    )
    team_id: UUID | None = Field(description="the sales group; null for staff and the admin")
    department_id: UUID | None = Field(description="for staff: the department they work in")
    locale: Literal["pl", "en"] = Field(description="the language they read the CRM in")
    time_zone: str = Field(description="an IANA time zone", examples=["Europe/Warsaw"])
    active: bool = Field(description="false: deactivated, may not sign in")


@contract("crm.user.created.v1", topic=USER_TOPIC, source=SOURCE)
class UserCreated(UserSnapshot):
    """A user was added."""


@contract("crm.user.updated.v1", topic=USER_TOPIC, source=SOURCE)
class UserUpdated(UserSnapshot):
    """A user changed: name, role, group, department, locale, or was (de)activated."""


@contract("crm.team.changed.v1", topic=TEAM_TOPIC, source=SOURCE)
class TeamChanged(Contract):
    """A sales group was created or changed (name, parent, head). The root is the company."""

    team_id: UUID = Field(description="the group")
    name: str = Field(description="the group's name", examples=["Sprzedaż Północ"])
    parent_id: UUID | None = Field(description="null only for the company at the root")
    head_id: UUID | None = Field(description="the user who leads the group; null: nobody")


DEPARTMENT_TOPIC = "crm.gateway.department"


class WorkingDay(Contract):
    """A department's working time on one weekday, in its time zone."""

    start: str = Field(pattern=r"^\d{2}:\d{2}$", description="work begins", examples=["08:00"])
    end: str = Field(pattern=r"^\d{2}:\d{2}$", description="work ends", examples=["16:00"])


@contract("crm.department.changed.v1", topic=DEPARTMENT_TOPIC, source=SOURCE)
class DepartmentChanged(Contract):
    """A department was created or changed: its name, head and working hours."""

    department_id: UUID = Field(description="the department")
    name: str = Field(description="its name", examples=["Dział finansowy"])
    head_id: UUID | None = Field(description="the staff member told when a request's SLA runs out")
    working_hours: list[WorkingDay | None] = Field(
        min_length=7,
        max_length=7,
        description="Monday first; null: a day off",
        examples=[[{"start": "08:00", "end": "16:00"}] * 5 + [None, None]],
    )
    time_zone: str = Field(
        default="Europe/Warsaw", description="of its working hours", examples=["Europe/Warsaw"]
    )
