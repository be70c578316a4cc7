"""Tables of the gateway: people, sales groups, departments, credentials, notifications,
webhooks, desks."""

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class Timestamps:
    # The times the database sets come back with the write (RETURNING), so a record answered
    # after its change shows its `updated_at` without another read.
    __mapper_args__: ClassVar[dict[str, Any]] = {"eager_defaults": True}

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Team(Timestamps, Base):
    """A sales group; the one without a parent is the company."""

    __tablename__ = "team"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    name: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[UUID | None] = mapped_column(ForeignKey("team.id"))
    head_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("app_user.id", use_alter=True, name="fk_team_head_id_app_user")
    )


class Department(Timestamps, Base):
    """A department outside sales that receives service requests (production, legal, ...)."""

    __tablename__ = "department"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    name: Mapped[str] = mapped_column(Text, unique=True)
    head_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("app_user.id", use_alter=True, name="fk_department_head_id_app_user")
    )
    working_hours: Mapped[list[Any]] = mapped_column(
        JSONB, comment="7 x {start, end} or null, Monday first"
    )


class User(Timestamps, Base):
    __tablename__ = "app_user"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    email: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    team_id: Mapped[UUID | None] = mapped_column(ForeignKey("team.id"))
    department_id: Mapped[UUID | None] = mapped_column(ForeignKey("department.id"))
    locale: Mapped[str] = mapped_column(Text, default="pl")
    time_zone: Mapped[str] = mapped_column(Text, default="Europe/Warsaw")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (Index("uq_app_user_email", func.lower(email), unique=True),)


class UserSession(Base):
    """A signed-in browser or a bearer token from `/api/auth/token`; only the hash is stored."""

    __tablename__ = "user_session"

    token_hash: Mapped[str] = mapped_column(Text, primary_key=True)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """A personal token for other systems: named, long-lived, revocable."""

    __tablename__ = "api_token"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(Text)
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginFailure(Base):
    """A sign-in that failed (or is being checked), kept for a while to throttle guessing by
    e-mail and client address."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(Text, index=True)
    client_address: Mapped[str] = mapped_column(Text, server_default="")
    failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("ix_login_failure_client_address", "client_address", "failed_at"),)


class Notification(Base):
    """Something a user should see: pushed to open tabs, kept unread until opened."""

    __tablename__ = "notification"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_notification_user_id_created_at", "user_id", "created_at"),)


class WebhookSubscription(Base):
    """An administrator's subscription of a URL to event types, with filters on their data."""

    __tablename__ = "webhook_subscription"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    url: Mapped[str] = mapped_column(Text)
    event_types: Mapped[list[str]] = mapped_column(ARRAY(Text))
    filters: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    secret: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[UUID]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        Index("ix_webhook_subscription_event_types", "event_types", postgresql_using="gin"),
    )


class WebhookDelivery(Base):
    """One event for one subscription: pending until delivered, or given up after a day."""

    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    subscription_id: Mapped[UUID] = mapped_column(
        ForeignKey("webhook_subscription.id", ondelete="CASCADE")
    )
    event_id: Mapped[UUID]
    event_type: Mapped[str] = mapped_column(Text)
    aggregate: Mapped[str] = mapped_column(Text, comment="the event's subject: order is per it")
    body: Mapped[str] = mapped_column(Text, comment="the CloudEvent as sent, byte for byte")
    status: Mapped[str] = mapped_column(Text, default="pending")  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        Index(
            "ix_webhook_delivery_pending",
            "subscription_id",
            "aggregate",
            "id",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_webhook_delivery_subscription_id_id", "subscription_id", "id"),
        # The log's pruning: finished deliveries, oldest first.
        Index(
            "ix_webhook_delivery_finished_created_at",
            "created_at",
            postgresql_where=text("status <> 'pending'"),
        ),
    )


class WebhookAttempt(Base):
    """The delivery log: each try, what the receiver answered (or why there was no answer)."""

    __tablename__ = "webhook_attempt"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_delivery.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status_code: Mapped[int | None]
    response: Mapped[str] = mapped_column(Text, default="", comment="the first 1,000 characters")
    error: Mapped[str | None] = mapped_column(Text)
    milliseconds: Mapped[int]


class DeskLayout(Base):
    """A user's own desk: the widgets in their order with their sizes, and pinned shortcuts."""

    __tablename__ = "desk_layout"

    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    widgets: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    shortcuts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class DeskDefault(Base):
    """The administrator's desk for everyone of a role who has not arranged their own."""

    __tablename__ = "desk_default"

    role: Mapped[str] = mapped_column(Text, primary_key=True)
    widgets: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
