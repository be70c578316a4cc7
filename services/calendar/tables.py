"""Tables of the calendar service."""

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import new_metadata
from shared.links import CustomerAccessTable, LinkedRecordTable


class Base(DeclarativeBase):
    metadata = new_metadata()


class Member(Base):
    """The calendar's replica of a gateway user: whose calendar, in which group, which zone."""

    __tablename__ = "member"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    team_id: Mapped[UUID | None] = mapped_column(index=True)
    department_id: Mapped[UUID | None]
    time_zone: Mapped[str] = mapped_column(Text)
    active: Mapped[bool]
    email: Mapped[str | None] = mapped_column(Text, comment="for ORGANIZER; null until known")
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LinkedRecord(LinkedRecordTable, Base):
    """Deals' deals, companies and contacts and their owners: what an activity may be about."""


class CustomerAccess(CustomerAccessTable, Base):
    """Who reads companies and contacts, as deals' administrator chose."""


class Team(Base):
    """The calendar's replica of a sales group: heads see and subscribe to their groups."""

    __tablename__ = "team"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[UUID | None] = mapped_column(index=True)
    head_id: Mapped[UUID | None]
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# The transaction a row was written in: CalDAV sync tokens compare it with the oldest
# transaction still running (`usecases/dav.py`), so a change committed late is never missed.
WRITTEN_IN = text("pg_current_xact_id()::text::bigint")


class Activity(Base):
    """A call, meeting, letter or task; letters and tasks have a due time (start = end)."""

    __tablename__ = "activity"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    uid: Mapped[str] = mapped_column(Text, comment="iCalendar UID, kept from imports")
    kind: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[UUID]
    participant_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid), default=list)
    company_id: Mapped[UUID | None]
    contact_id: Mapped[UUID | None]
    deal_id: Mapped[UUID | None] = mapped_column(index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    all_day: Mapped[bool] = mapped_column(default=False)
    time_zone: Mapped[str] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    rrule: Mapped[str | None] = mapped_column(Text)
    exdates: Mapped[list[datetime]] = mapped_column(ARRAY(DateTime(timezone=True)), default=list)
    rdates: Mapped[list[datetime]] = mapped_column(
        ARRAY(DateTime(timezone=True)), default=list, server_default="{}", comment="extra dates"
    )
    recurs_until: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="end of the last occurrence; null: recurs forever"
    )
    reminders: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list)
    status: Mapped[str] = mapped_column(Text, default="scheduled")
    outcome: Mapped[str | None] = mapped_column(Text)
    outcome_note: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sequence: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[UUID]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    series_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("activity.id"), comment="an occurrence of this series, reported or moved"
    )
    recurrence_id: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="the start of the series' occurrence it replaces"
    )
    dav_name: Mapped[str | None] = mapped_column(
        Text, comment="the resource name a CalDAV client gave it; null: <id>.ics"
    )
    dav_extra: Mapped[str] = mapped_column(
        Text, default="", server_default="", comment="properties a CalDAV client wrote, kept"
    )
    revision: Mapped[int] = mapped_column(
        BigInteger, server_default=WRITTEN_IN, onupdate=WRITTEN_IN, index=True
    )
    dav_body: Mapped[str | None] = mapped_column(
        Text, comment="what a CalDAV client put, served as is until the activity changes"
    )
    dav_body_revision: Mapped[int | None] = mapped_column(
        BigInteger, comment="the revision `dav_body` was put in"
    )

    __table_args__ = (
        UniqueConstraint("owner_id", "uid", name="uq_activity_owner_uid"),
        Index("ix_activity_series_id", "series_id", postgresql_where=text("series_id IS NOT NULL")),
        Index("ix_activity_owner_starts_at", "owner_id", "starts_at"),
        Index("ix_activity_starts_at_id", "starts_at", "id"),
        Index("ix_activity_participant_ids", "participant_ids", postgresql_using="gin"),
        Index(
            "ix_activity_awaiting_outcome",
            "owner_id",
            "ends_at",
            postgresql_where=text("status = 'scheduled' AND rrule IS NULL"),
        ),
    )


class DavTombstone(Base):
    """An activity that left someone's CalDAV collection (cancelled, or no longer theirs): sync
    reports tell their phones to remove it."""

    __tablename__ = "dav_tombstone"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    activity_id: Mapped[UUID]
    name: Mapped[str] = mapped_column(Text, comment="the resource name it had")
    owner_id: Mapped[UUID | None] = mapped_column(comment="the owner it left; null: the same")
    people: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid), comment="whose collections it left")
    revision: Mapped[int] = mapped_column(BigInteger, server_default=WRITTEN_IN, index=True)


class Alarm(Base):
    """Something the scheduler does at a time: remind, ask for the outcome, escalate.

    Each row fires once: the scheduler claims due rows with `FOR UPDATE SKIP LOCKED`, publishes
    through the outbox and marks them fired in the same transaction.
    """

    __tablename__ = "alarm"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    activity_id: Mapped[UUID] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(Text, comment="reminder | outcome | escalation")
    fire_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    occurrence_starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    minutes_before: Mapped[int] = mapped_column(default=0)
    fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_alarm_due", "fire_at", postgresql_where=text("fired_at IS NULL")),
        Index("ix_alarm_activity_id", "activity_id"),
    )


class Feed(Base):
    """An iCalendar subscription: personal, or a head's group. Only the token's hash is kept."""

    __tablename__ = "feed"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    owner_id: Mapped[UUID]
    team_id: Mapped[UUID | None] = mapped_column(comment="a group feed; null: personal")
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_feed_owner_id", "owner_id"),)


class OutcomeType(Base):
    """An outcome an administrator added next to the built-in ones."""

    __tablename__ = "outcome_type"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    label: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ReminderDefault(Base):
    """A user's own default reminders for one kind of activity (minutes before the start)."""

    __tablename__ = "reminder_default"

    user_id: Mapped[UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    minutes: Mapped[list[int]] = mapped_column(ARRAY(Integer))
