"""Alembic environment of the calendar service."""

from services.calendar.tables import Base
from shared.migrations import run_env

run_env(Base.metadata)
