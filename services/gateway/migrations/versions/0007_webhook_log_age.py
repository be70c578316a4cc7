"""The webhook delivery log's end: finished deliveries found by age, to be pruned.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_webhook_delivery_finished_created_at",
        "webhook_delivery",
        ["created_at"],
        postgresql_where=sa.text("status <> 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_delivery_finished_created_at", table_name="webhook_delivery")
