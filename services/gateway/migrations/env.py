"""Alembic environment of the gateway."""

from services.gateway.tables import Base
from shared.migrations import run_env

run_env(Base.metadata)
