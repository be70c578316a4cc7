"""Tables of the planning service."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, Index, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import new_metadata


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
