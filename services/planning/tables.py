"""Tables of the planning service."""

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import new_metadata
from shared.links import CustomerAccessTable, LinkedRecordTable


class Base(DeclarativeBase):
    metadata = new_metadata()


class Client(Base):
    """Planning's replica of a deals company: the clients managers plan revenue for."""

    __tablename__ = "client"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    tax_id: Mapped[str | None] = mapped_column(Text)
    replicated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    __table_args__ = (Index("ix_client_name_id", "name", "id"),)


class LinkedRecord(LinkedRecordTable, Base):
    """Deals' companies (and deals, contacts) and their owners: whose clients one may plan."""


class CustomerAccess(CustomerAccessTable, Base):
    """Who reads companies and contacts, as deals' administrator chose."""


class Team(Base):
    """Planning's replica of a gateway sales group: plans roll up along this tree."""

    __tablename__ = "team"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[UUID | None] = mapped_column(index=True)
    head_id: Mapped[UUID | None]
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Member(Base):
    """Planning's replica of a gateway user: who plans, in which group."""

    __tablename__ = "member"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    team_id: Mapped[UUID | None] = mapped_column(index=True)
    active: Mapped[bool]
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PlanSettings(Base):
    """The company's plan settings: one row."""

    __tablename__ = "plan_settings"

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    approval_required: Mapped[bool] = mapped_column(default=False)
    base_currency: Mapped[str] = mapped_column(Text, default="PLN")
    lock_after_days: Mapped[int | None] = mapped_column(
        comment="a period locks this many days after it ends; null: only by the administrator"
    )


class PlanLock(Base):
    """A period the administrator has locked: its plan (and every period within it) is frozen."""

    __tablename__ = "plan_lock"

    period: Mapped[str] = mapped_column(Text, primary_key=True)
    start_date: Mapped[date] = mapped_column(primary_key=True)
    end_date: Mapped[date] = mapped_column(primary_key=True)
    locked_by: Mapped[str] = mapped_column(Text)
    locked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PlanLine(Base):
    """What a manager plans to sell to one client in one period (in the base currency)."""

    __tablename__ = "plan_line"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    manager_id: Mapped[UUID] = mapped_column(index=True)
    company_id: Mapped[UUID]
    period: Mapped[str] = mapped_column(Text)
    start_date: Mapped[date]
    end_date: Mapped[date]
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(Text, default="draft")
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    # `updated_at` comes back with every INSERT and UPDATE: answers carry it after the session.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012

    __table_args__ = (
        # Within one granularity nothing is counted twice: one line per manager, client, period.
        UniqueConstraint("manager_id", "company_id", "period", "start_date", "end_date"),
        # The summary sums a period's lines per manager and status from this index alone.
        Index(
            "ix_plan_line_period_start_date_end_date_manager_id_status",
            "period",
            "start_date",
            "end_date",
            "manager_id",
            "status",
            postgresql_include=["amount"],
        ),
        # Reminders before a deadline look for lines not submitted by the end of their period.
        Index(
            "ix_plan_line_unsubmitted_end_date",
            "end_date",
            postgresql_where=text("status IN ('draft', 'rejected')"),
        ),
    )


class PlanChange(Base):
    """The audit history of plan lines: who changed what, when, old -> new."""

    __tablename__ = "plan_change"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    line_id: Mapped[UUID] = mapped_column(
        ForeignKey("plan_line.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    field: Mapped[str] = mapped_column(Text)
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)


class DealReplica(Base):
    """Planning's copy of a deal: won ones are actual revenue on the day they were won, open ones
    the forecast weighted by probability on their expected close."""

    __tablename__ = "deal_replica"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    owner_id: Mapped[UUID] = mapped_column(index=True)
    company_id: Mapped[UUID]
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(Text)
    expected_close_date: Mapped[date | None]
    probability: Mapped[int]
    stage_kind: Mapped[str] = mapped_column(Text)
    won_on: Mapped[date | None] = mapped_column(
        comment="the company's date the deal was won; null unless it is won"
    )
    archived: Mapped[bool] = mapped_column(server_default=false())
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        # Actual revenue: won deals by the day they were won.
        Index(
            "ix_deal_replica_won_on",
            "won_on",
            postgresql_include=["owner_id", "company_id", "amount", "currency"],
            postgresql_where=text("won_on IS NOT NULL AND NOT archived"),
        ),
        # The forecast: open deals by their expected close.
        Index(
            "ix_deal_replica_open_expected_close_date",
            "expected_close_date",
            postgresql_include=["owner_id", "company_id", "amount", "currency", "probability"],
            postgresql_where=text("stage_kind = 'open' AND NOT archived"),
        ),
    )


class GridClient(Base):
    """A client a manager keeps in the plan grid, whether planned in the periods shown or not."""

    __tablename__ = "grid_client"

    manager_id: Mapped[UUID] = mapped_column(primary_key=True)
    company_id: Mapped[UUID] = mapped_column(primary_key=True)
    added_by: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LockReminder(Base):
    """A reminder that a period's plan locks soon, sent once per manager and period."""

    __tablename__ = "lock_reminder"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    manager_id: Mapped[UUID]
    period: Mapped[str] = mapped_column(Text)
    start_date: Mapped[date]
    end_date: Mapped[date]
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (UniqueConstraint("manager_id", "period", "start_date", "end_date"),)
