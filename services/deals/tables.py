"""Tables of the deals service."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class Company(Base):
    __tablename__ = "company"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    name: Mapped[str] = mapped_column(Text)
    tax_id: Mapped[str | None] = mapped_column(Text, unique=True)
    street: Mapped[str | None] = mapped_column(Text)
    postal_code: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[UUID | None] = mapped_column(index=True, comment="the account manager")
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_company_name_id", "name", "id"),)
    # `updated_at` comes back with every INSERT and UPDATE: answers carry it after the session.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012


class CustomerSettings(Base):
    """The administrator's choice of who reads companies and contacts (one row)."""

    __tablename__ = "customer_settings"

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    readers: Mapped[str] = mapped_column(Text, default="sales", comment="sales | group")


class Pipeline(Base):
    """A sales process: an ordered list of stages. One is the default for new deals."""

    __tablename__ = "pipeline"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    name: Mapped[str] = mapped_column(Text, unique=True)
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Stage(Base):
    """A step of a pipeline, with what a deal must have to enter it."""

    __tablename__ = "stage"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    pipeline_id: Mapped[UUID] = mapped_column(ForeignKey("pipeline.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    position: Mapped[int]
    probability: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(Text, default="open")
    required_fields: Mapped[list[str]] = mapped_column(JSONB, default=list)
    completed_activity: Mapped[bool] = mapped_column(default=False)
    document: Mapped[bool] = mapped_column(default=False)
    no_skipping: Mapped[bool] = mapped_column(default=False)
    close_date_not_past: Mapped[bool] = mapped_column(default=False)
    service_requirements: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, comment="[{service_id, output, value}]: delivered requests needed"
    )

    __table_args__ = (UniqueConstraint("pipeline_id", "position"),)


class LostReason(Base):
    """A reason a deal can be lost for; the administrator keeps the list."""

    __tablename__ = "lost_reason"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    name: Mapped[str] = mapped_column(Text, unique=True)
    active: Mapped[bool] = mapped_column(default=True)


class CustomField(Base):
    """A field the administrator adds to companies, contacts or deals."""

    __tablename__ = "custom_field"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    record_type: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(JSONB, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (UniqueConstraint("record_type", "key"),)


class Contact(Base):
    __tablename__ = "contact"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    company_id: Mapped[UUID | None] = mapped_column(ForeignKey("company.id"), index=True)
    name: Mapped[str] = mapped_column(Text)
    position: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    custom: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    owner_id: Mapped[UUID | None] = mapped_column(index=True, comment="who looks after the contact")
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_contact_name_id", "name", "id"),
        # an import finds contacts by e-mail whatever its case
        Index("ix_contact_lower_email", func.lower(email)),
    )
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012


class Deal(Base):
    __tablename__ = "deal"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    title: Mapped[str] = mapped_column(Text)
    company_id: Mapped[UUID] = mapped_column(ForeignKey("company.id"), index=True)
    owner_id: Mapped[UUID]
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(Text, default="PLN")
    expected_close_date: Mapped[date | None]
    pipeline_id: Mapped[UUID] = mapped_column(ForeignKey("pipeline.id"))
    stage_id: Mapped[UUID] = mapped_column(ForeignKey("stage.id"), index=True)
    probability: Mapped[int]
    source: Mapped[str | None] = mapped_column(Text)
    custom: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    lost_reason: Mapped[str | None] = mapped_column(Text)
    stage_entered_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    __table_args__ = (
        Index("ix_deal_created_at_id", "created_at", "id"),
        Index("ix_deal_stage_id_created_at_id", "stage_id", "created_at", "id"),
        Index("ix_deal_owner_id_created_at_id", "owner_id", "created_at", "id"),
        Index("ix_deal_updated_at_id", "updated_at", "id"),
        Index("ix_deal_title_id", "title", "id"),
        # A manager's board column: one owner in one stage, newest first.
        Index(
            "ix_deal_owner_id_stage_id_created_at_id", "owner_id", "stage_id", "created_at", "id"
        ),
    )


class DealContact(Base):
    __tablename__ = "deal_contact"

    deal_id: Mapped[UUID] = mapped_column(
        ForeignKey("deal.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[UUID] = mapped_column(ForeignKey("contact.id"), primary_key=True)


class DealDocument(Base):
    """A document linked to a deal (e.g. the commercial offer): its title and where it lives."""

    __tablename__ = "deal_document"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    deal_id: Mapped[UUID] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Member(Base):
    """Deals' replica of a gateway user: names on the timeline, groups for a head's view."""

    __tablename__ = "member"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text, comment="lower case; null until a snapshot")
    team_id: Mapped[UUID | None] = mapped_column(index=True)
    active: Mapped[bool]
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TimelineEntry(Base):
    """What happened to a deal or company: outcome reports, stage moves, field changes (audit)."""

    __tablename__ = "timeline_entry"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    deal_id: Mapped[UUID | None] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"))
    company_id: Mapped[UUID | None] = mapped_column(ForeignKey("company.id"))
    kind: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    source_id: Mapped[UUID | None] = mapped_column(unique=True)

    __table_args__ = (
        Index("ix_timeline_entry_deal_id_at", "deal_id", "at"),
        Index("ix_timeline_entry_company_id_at", "company_id", "at"),
    )


class DealTally(Base):
    """Running totals per stage, owner and currency: a board's column sums without a scan.

    Kept in the same transaction as every change of a deal's stage, owner, currency or amount.
    """

    __tablename__ = "deal_tally"

    stage_id: Mapped[UUID] = mapped_column(
        ForeignKey("stage.id", ondelete="CASCADE"), primary_key=True
    )
    owner_id: Mapped[UUID] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(Text, primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2), default=0)


class DealActivity(Base):
    """Deals' replica of the calendar's activities on deals: a card's next planned activity.

    One row per activity, kept from the calendar's snapshots (the newest wins); a completed or
    cancelled activity stays as such, so a late copy of an older event cannot bring it back.
    """

    __tablename__ = "deal_activity"

    id: Mapped[UUID] = mapped_column(primary_key=True)  # the calendar's activity id
    deal_id: Mapped[UUID | None]
    kind: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recurring: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        # A board's cards: each deal's earliest scheduled activity, in index order.
        Index(
            "ix_deal_activity_deal_id_starts_at_id",
            "deal_id",
            "starts_at",
            "id",
            postgresql_where=text("status = 'scheduled'"),
        ),
    )


class ServiceRef(Base):
    """Deals' replica of a company service (knowledge's catalogue): what stage requirements name."""

    __tablename__ = "service_ref"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    outputs: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, comment="the output form")
    active: Mapped[bool]
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DealRequest(Base):
    """Deals' replica of a request raised from a deal: where it stands and, once delivered, its
    outputs (stage evidence)."""

    __tablename__ = "deal_request"

    id: Mapped[UUID] = mapped_column(primary_key=True)  # knowledge's request id
    deal_id: Mapped[UUID] = mapped_column(index=True)
    service_id: Mapped[UUID]
    status: Mapped[str] = mapped_column(Text)
    outputs: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
