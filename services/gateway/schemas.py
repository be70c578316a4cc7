"""Shapes of the gateway's own API: people, groups, departments, tokens."""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from services.gateway.domain.people import Role
from shared.schemas import Changed, Strict
from shared.text import N_

Locale = Literal["pl", "en"]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class UserCreate(Strict):
    email: EmailStr = Field(examples=["anna.nowak@example.pl"])
    name: Name
    password: str = Field(min_length=1, max_length=200)
    role: Role = "manager"
    team_id: UUID | None = Field(
        default=None, description="a seller's group; may come later, e.g. for a group's new head"
    )
    department_id: UUID | None = None
    locale: Locale = "pl"
    time_zone: str = Field(default="Europe/Warsaw", max_length=64)


class UserUpdate(Strict):
    email: Changed[EmailStr] = None
    name: Changed[Name] = None
    password: Changed[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default=None, description="a new password ends the user's other sessions and tokens"
    )
    role: Changed[Role] = None
    team_id: UUID | None = None
    department_id: UUID | None = None
    locale: Changed[Locale] = None
    time_zone: Changed[Annotated[str, Field(max_length=64)]] = None
    active: Changed[bool] = Field(
        default=None,
        description="false deactivates: sessions and personal API tokens end at once, for good",
    )


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    email: str
    name: str
    role: Role
    team_id: UUID | None
    department_id: UUID | None
    locale: Locale
    time_zone: str
    active: bool
    created_at: datetime
    updated_at: datetime


class MeUpdate(Strict):
    name: Changed[Name] = None
    locale: Changed[Locale] = None
    time_zone: Changed[Annotated[str, Field(max_length=64)]] = None


class PasswordChange(Strict):
    current_password: Annotated[str, Field(min_length=1, max_length=200)]
    new_password: Annotated[str, Field(min_length=1, max_length=200)]


class TeamCreate(Strict):
    name: Name
    parent_id: UUID | None = Field(default=None, description="defaults to the company")
    head_id: UUID | None = Field(
        default=None, description="a user with the head role; placed in the group, heading no other"
    )


class TeamUpdate(Strict):
    name: Changed[Name] = None
    parent_id: UUID | None = None
    head_id: UUID | None = None


class TeamPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    parent_id: UUID | None
    head_id: UUID | None
    updated_at: datetime


class WorkingDay(Strict):
    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["08:00"])
    end: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", examples=["16:00"])

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> "WorkingDay":
        if self.end <= self.start:
            raise ValueError(N_("the day must end after it starts"))
        return self


WorkingHours = Annotated[
    list[WorkingDay | None],
    Field(
        min_length=7,
        max_length=7,
        description="Monday first; null: a day off. The SLA of the department's requests "
        "counts these hours, Polish public holidays off",
    ),
]


class DepartmentCreate(Strict):
    name: Name
    working_hours: WorkingHours | None = Field(default=None, description="default: 8-16 Mon-Fri")


class DepartmentUpdate(Strict):
    name: Name | None = None
    head_id: UUID | None = Field(default=None, description="one of its staff; null: none")
    working_hours: WorkingHours | None = None


class DepartmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    head_id: UUID | None
    working_hours: list[dict[str, str] | None]
    updated_at: datetime


class TokenAnswer(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"


class ApiTokenCreate(Strict):
    name: str = Field(min_length=1, max_length=100, examples=["ERP integration"])


class ApiTokenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreated(ApiTokenPublic):
    token: str = Field(description="shown only now; store it safely")


class NotificationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    kind: str = Field(examples=["reminder", "outcome"])
    title: str
    body: str
    link: str | None = Field(description="the page of what it is about: an activity, a deal")
    created_at: datetime
    read_at: datetime | None


class DeskWidgetIn(Strict):
    name: str = Field(max_length=50, examples=["agenda"], description="a widget of the catalogue")
    size: int = Field(default=1, ge=1, le=3, description="columns of the desk it spans")


class DeskLayoutIn(Strict):
    widgets: list[DeskWidgetIn] = Field(max_length=50, description="in the desk's order")


class DeskWidgetPublic(BaseModel):
    name: str
    size: int


class CatalogueEntry(BaseModel):
    name: str
    label: str
    hint: str
    services: list[str] = Field(description="where its data comes from; none: the gateway")
    size: int = Field(description="its size when added")
    live: bool = Field(description="refreshed when a notification says its data changed")


class DeskLayoutPublic(BaseModel):
    widgets: list[DeskWidgetPublic]
    own: bool = Field(description="false: the role's default, set by the administrator")
    catalogue: list[CatalogueEntry] = Field(description="the widgets the caller may add")


class WidgetPublic(BaseModel):
    name: str
    status: Literal["ok", "unavailable"]
    data: dict[str, Any] = Field(description="the widget's figures and lists, as it shows them")
    unavailable: list[str] = Field(description="services that did not answer in time")


class DeskPublic(BaseModel):
    widgets: list[WidgetPublic] = Field(description="in the desk's order, each with its data")
    layout: list[DeskWidgetPublic]
    own: bool


class ShortcutIn(Strict):
    label: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=1, max_length=500, examples=["/deals?owner_id=..."])


class ShortcutPublic(BaseModel):
    id: str
    label: str
    url: str
