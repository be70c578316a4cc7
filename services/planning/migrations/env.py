"""Alembic environment of the planning service."""

from services.planning.tables import Base
from shared.migrations import run_env

run_env(Base.metadata)
