"""Alembic environment of the deals service."""

from services.deals.tables import Base
from shared.migrations import run_env

run_env(Base.metadata)
