"""Locked periods: a deadline after each period's end, and periods locked by the administrator.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "plan_settings",
        sa.Column(
            "lock_after_days",
            sa.Integer(),
            nullable=True,
            comment="a period locks this many days after it ends; null: only by the administrator",
        ),
    )
    op.create_table(
        "plan_lock",
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("locked_by", sa.Text(), nullable=False),
        sa.Column(
            "locked_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("period", "start_date", "end_date", name=op.f("pk_plan_lock")),
    )


def downgrade() -> None:
    op.drop_table("plan_lock")
    op.drop_column("plan_settings", "lock_after_days")
