"""Plan settings, plan lines and their audit history.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan_line",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("manager_id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_line")),
        sa.UniqueConstraint(
            "manager_id",
            "company_id",
            "period",
            "start_date",
            "end_date",
            name=op.f("uq_plan_line_manager_id"),
        ),
    )
    op.create_index(op.f("ix_plan_line_manager_id"), "plan_line", ["manager_id"], unique=False)
    op.create_index(
        "ix_plan_line_period_start_date", "plan_line", ["period", "start_date"], unique=False
    )
    op.create_table(
        "plan_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("approval_required", sa.Boolean(), nullable=False),
        sa.Column("base_currency", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_settings")),
    )
    op.create_table(
        "plan_change",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("line_id", sa.Uuid(), nullable=False),
        sa.Column("actor_id", sa.Text(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["plan_line.id"],
            name=op.f("fk_plan_change_line_id_plan_line"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_change")),
    )
    op.create_index(op.f("ix_plan_change_line_id"), "plan_change", ["line_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_plan_change_line_id"), table_name="plan_change")
    op.drop_table("plan_change")
    op.drop_table("plan_settings")
    op.drop_index("ix_plan_line_period_start_date", table_name="plan_line")
    op.drop_index(op.f("ix_plan_line_manager_id"), table_name="plan_line")
    op.drop_table("plan_line")
