"""The replica of deals: actual revenue and the forecast.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deal_replica",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("expected_close_date", sa.Date(), nullable=True),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("stage_kind", sa.Text(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_replica")),
    )
    op.create_index(
        op.f("ix_deal_replica_expected_close_date"),
        "deal_replica",
        ["expected_close_date"],
        unique=False,
    )
    op.create_index(op.f("ix_deal_replica_owner_id"), "deal_replica", ["owner_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_deal_replica_owner_id"), table_name="deal_replica")
    op.drop_index(op.f("ix_deal_replica_expected_close_date"), table_name="deal_replica")
    op.drop_table("deal_replica")
