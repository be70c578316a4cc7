"""An index the plan summary reads a period's lines from, without visiting the table.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_plan_line_period_start_date_end_date_manager_id_status",
        "plan_line",
        ["period", "start_date", "end_date", "manager_id", "status"],
        postgresql_include=["amount"],
    )
    op.drop_index("ix_plan_line_period_start_date", table_name="plan_line")


def downgrade() -> None:
    op.create_index("ix_plan_line_period_start_date", "plan_line", ["period", "start_date"])
    op.drop_index(
        "ix_plan_line_period_start_date_end_date_manager_id_status", table_name="plan_line"
    )
