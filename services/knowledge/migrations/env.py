"""Alembic environment of the knowledge service."""

from services.knowledge.tables import Base
from shared.migrations import run_env

run_env(Base.metadata)
