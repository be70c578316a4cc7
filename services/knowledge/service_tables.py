"""Tables of the company services: the catalogue with its form versions, the requests with their
steps and files, and the replicas they need (departments; deals, companies and contacts)."""

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import DateTime, ForeignKey, Index, Integer, Text
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.knowledge.tables import Base


class Department(Base):
    """Knowledge's replica of a department: its name, head and working hours (the SLA)."""

    __tablename__ = "department"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    head_id: Mapped[UUID | None]
    working_hours: Mapped[list[Any]] = mapped_column(JSONB, comment="7 x [start, end] or null")
    time_zone: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DealRef(Base):
    """Knowledge's replica of a deal: whom a request raised from it may come from."""

    __tablename__ = "deal_ref"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    company_id: Mapped[UUID]
    owner_id: Mapped[UUID]
    archived: Mapped[bool]
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CompanyRef(Base):
    """Knowledge's replica of a customer company (names on requests; archived ones refused)."""

    __tablename__ = "company_ref"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    archived: Mapped[bool]
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ContactRef(Base):
    """Knowledge's replica of a contact person."""

    __tablename__ = "contact_ref"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    company_id: Mapped[UUID | None]
    archived: Mapped[bool]
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Service(Base):
    """A company service a department offers: what it asks for, what it delivers, how fast."""

    __tablename__ = "service"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    department_id: Mapped[UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    sla_hours: Mapped[int] = mapped_column(Integer, comment="working hours to deliver")
    requesters: Mapped[list[str]] = mapped_column(ARRAY(Text), comment="principals")
    version: Mapped[int] = mapped_column(Integer, comment="the current form version")
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[UUID]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ServiceVersion(Base):
    """The input and output forms of a service as they were at one version; a request keeps the
    version it was made with."""

    __tablename__ = "service_version"

    service_id: Mapped[UUID] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    inputs: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    outputs: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    created_by: Mapped[UUID]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ServiceRequest(Base):
    """A request to a department: its inputs, the outputs once delivered, where it stands and
    its SLA (`due_at` while the clock runs; `sla_left` working seconds while it is returned)."""

    __tablename__ = "service_request"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    service_id: Mapped[UUID] = mapped_column(ForeignKey("service.id"))
    service_version: Mapped[int] = mapped_column(Integer)
    department_id: Mapped[UUID]
    requester_id: Mapped[UUID]
    assignee_id: Mapped[UUID | None]
    status: Mapped[str] = mapped_column(Text)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONB)
    outputs: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    deal_id: Mapped[UUID | None]
    company_id: Mapped[UUID | None]
    contact_id: Mapped[UUID | None]
    sla_hours: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    warn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sla_left: Mapped[int | None] = mapped_column(Integer, comment="seconds, while returned")
    warned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    overdue_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index(
            "ix_service_request_requester_id_submitted_at_id", "requester_id", "submitted_at", "id"
        ),
        Index("ix_service_request_department_id_status", "department_id", "status"),
        Index("ix_service_request_submitted_at_id", "submitted_at", "id"),
        Index("ix_service_request_deal_id", "deal_id"),
        Index("ix_service_request_updated_at_id", "updated_at", "id"),
        # The SLA scheduler's two looks: running requests whose warning or end has come.
        Index(
            "ix_service_request_warn_at",
            "warn_at",
            postgresql_where=sql("status IN ('submitted', 'accepted') AND warned_at IS NULL"),
        ),
        Index(
            "ix_service_request_due_at",
            "due_at",
            postgresql_where=sql("status IN ('submitted', 'accepted') AND overdue_at IS NULL"),
        ),
    )


class RequestStep(Base):
    """What happened to a request, in order: each step with its comment, and plain comments."""

    __tablename__ = "request_step"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    request_id: Mapped[UUID] = mapped_column(
        ForeignKey("service_request.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(
        Text, comment="submitted | accepted | returned | resubmitted | delivered | ... | comment"
    )
    author_id: Mapped[UUID]
    body: Mapped[str] = mapped_column(Text, default="")
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RequestFile(Base):
    """A document given with a request (an input, an output, a comment's file): whoever may see
    the request may download it through the request."""

    __tablename__ = "request_file"

    request_id: Mapped[UUID] = mapped_column(
        ForeignKey("service_request.id", ondelete="CASCADE"), primary_key=True
    )
    document_id: Mapped[UUID] = mapped_column(ForeignKey("document.id"), primary_key=True)
    added_by: Mapped[UUID]
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
