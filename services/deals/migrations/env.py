"""Alembic environment of the deals service."""

import services.deals.imports_table  # noqa: F401  (registers import_job on Base)
from services.deals.tables import Base
from shared.migrations import run_env

run_env(Base.metadata)
