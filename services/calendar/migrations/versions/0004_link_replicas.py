"""Replicas of who owns deals, companies and contacts (and who reads customers), so a link from an
activity is checked against what its author may see; people's departments, for participants.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.migration_ops import create_link_replicas, drop_link_replicas

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_link_replicas()
    op.add_column("member", sa.Column("department_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    op.drop_column("member", "department_id")
    drop_link_replicas()
