"""The planning service's request and response models, shared by its routers and use cases."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.planning.domain.locking import LockReason
from services.planning.domain.periods import Period
from shared.schemas import Changed, Day, Strict

Amount = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2, examples=["50000.00"]),
    AfterValidator(lambda amount: amount.quantize(Decimal("0.01"))),
]


class LineCreate(Strict):
    manager_id: UUID
    company_id: UUID = Field(description="the client (a company of the deals service)")
    period: Period
    start_date: Day
    end_date: Day | None = Field(default=None, description="only for a custom period")
    amount: Amount
    note: Annotated[str, Field(max_length=1000)] = ""


class LineUpdate(Strict):
    amount: Changed[Amount] = None
    note: Changed[Annotated[str, Field(max_length=1000)]] = None


class Review(Strict):
    decision: Literal["approved", "doubtful", "rejected"]
    comment: Annotated[str, Field(max_length=1000)] | None = None


class SettingsPublic(BaseModel):
    approval_required: bool
    lock_after_days: int | None = Field(
        description="a period locks this many days after its end; null: only when locked by hand"
    )


class SettingsUpdate(Strict):
    """The settings to change; those left out stay as they are."""

    approval_required: bool = Field(default=False, description="heads review plan lines")
    lock_after_days: Annotated[int, Field(ge=0, le=366)] | None = Field(
        default=None, description="days after a period's end until it locks; null: never"
    )


class LinePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    manager_id: UUID
    company_id: UUID
    period: Period
    start_date: date
    end_date: date
    amount: Decimal
    note: str
    status: str
    review_comment: str | None
    created_at: datetime
    updated_at: datetime


class ChangePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor_id: str = Field(description="the user who made the change")
    actor_name: str | None = Field(description="their name, when planning knows them")
    field: Literal["amount", "note", "status", "review_comment"]
    old: str | None = Field(description="null: the line was created")
    new: str | None


class CopyRequest(Strict):
    manager_id: UUID
    period: Period
    start_date: Day = Field(description="the period to fill; the one before it is copied")


class FiguresPublic(BaseModel):
    scope: Literal["company", "team", "manager", "client"]
    id: UUID
    name: str
    submitted: Decimal = Field(description="lines submitted, under review or reviewed")
    final: Decimal = Field(description="with approval on: approved lines only")
    actual: Decimal = Field(
        description="deals won in the period, on the company's date they were won (base currency)"
    )
    forecast: Decimal = Field(
        description="open deals expected to close in the period, weighted by probability"
    )
    prorated: bool = Field(
        description="some plan lines cross the period's edges and count by their days in it"
    )
    children: list["FiguresPublic"]


class LockCreate(Strict):
    period: Period
    start_date: Day
    end_date: Day | None = Field(default=None, description="only for a custom period")


class LockPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    period: Period
    start_date: date
    end_date: date
    locked_by: str
    locked_at: datetime


class PeriodPublic(BaseModel):
    period: Period
    start_date: date
    end_date: date
    locks_on: date | None = Field(description="the first day the deadline locks it; null: never")
    locked: LockReason | None = Field(
        description="`deadline` passed, `locked` by the administrator, or null: open"
    )


class ClientPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    tax_id: str | None


class MemberPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    role: str
    active: bool


class TeamNode(BaseModel):
    id: UUID
    name: str
    head_id: UUID | None
    members: list[MemberPublic]
    children: list["TeamNode"]


class GridCellPublic(BaseModel):
    start_date: date
    end_date: date
    line: LinePublic | None = Field(description="the client's line of exactly this period")
    planned: Decimal = Field(
        description="every line of the client in these days, whatever its size and status:"
        " whole inside the period, by its days in it across the edges"
    )
    prorated: bool = Field(description="some of those lines cross the period's edges")
    other_sizes: bool = Field(description="some of those lines are of another size or range")


class GridRowPublic(BaseModel):
    company_id: UUID
    name: str
    kept: bool = Field(description="kept in the grid by hand (it may also have lines)")
    cells: list[GridCellPublic]
    total: Decimal


class GridColumnPublic(BaseModel):
    start_date: date
    end_date: date
    total: Decimal


class GridPublic(BaseModel):
    manager_id: UUID
    period: Period
    columns: list[GridColumnPublic]
    rows: list[GridRowPublic]
    total: Decimal


class GridClientCreate(Strict):
    manager_id: UUID
    company_id: UUID = Field(description="the client to keep in the manager's grid")
