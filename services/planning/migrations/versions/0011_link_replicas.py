"""Replicas of who owns deals' companies (and deals, contacts) and who reads customers, so a plan
line is made only for a client its planner may see.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from collections.abc import Sequence

from shared.migration_ops import create_link_replicas, drop_link_replicas

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_link_replicas()


def downgrade() -> None:
    drop_link_replicas()
