"""A card's next activity read in index order: the activity index ends with the id too.

The board picks each card's earliest scheduled activity by (starts_at, id); without the id in
the index PostgreSQL sorted every card's activities again (half the board query's time).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEDULED = sa.text("status = 'scheduled'")


def upgrade() -> None:
    op.create_index(
        "ix_deal_activity_deal_id_starts_at_id",
        "deal_activity",
        ["deal_id", "starts_at", "id"],
        postgresql_where=SCHEDULED,
    )
    op.drop_index("ix_deal_activity_deal_id_starts_at", table_name="deal_activity")


def downgrade() -> None:
    op.create_index(
        "ix_deal_activity_deal_id_starts_at",
        "deal_activity",
        ["deal_id", "starts_at"],
        postgresql_where=SCHEDULED,
    )
    op.drop_index("ix_deal_activity_deal_id_starts_at_id", table_name="deal_activity")
