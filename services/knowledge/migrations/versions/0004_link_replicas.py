"""Replicas of who owns deals, companies and contacts (and who reads customers), so a document is
attached only to a record its linker may see.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""

from collections.abc import Sequence

from shared.migration_ops import create_link_replicas, drop_link_replicas

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_link_replicas()


def downgrade() -> None:
    drop_link_replicas()
