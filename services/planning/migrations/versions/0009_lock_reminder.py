"""Reminders that a period's plan locks soon: one row per manager and period, so each is sent once.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lock_reminder",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("manager_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column(
            "sent_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lock_reminder")),
        sa.UniqueConstraint(
            "manager_id",
            "period",
            "start_date",
            "end_date",
            name=op.f("uq_lock_reminder_manager_id"),
        ),
    )
    op.create_index(
        "ix_plan_line_unsubmitted_end_date",
        "plan_line",
        ["end_date"],
        postgresql_where=sa.text("status IN ('draft', 'rejected')"),
    )


def downgrade() -> None:
    op.drop_index("ix_plan_line_unsubmitted_end_date", table_name="plan_line")
    op.drop_table("lock_reminder")
