"""Archived deals count in neither actual revenue nor the forecast.

The summary's two partial indexes leave archived deals out, so it reads only what counts.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WON = ("ix_deal_replica_won_on", ["won_on"], ["owner_id", "company_id", "amount", "currency"])
OPEN = (
    "ix_deal_replica_open_expected_close_date",
    ["expected_close_date"],
    ["owner_id", "company_id", "amount", "currency", "probability"],
)


def _indexes(won_where: str, open_where: str) -> None:
    for (name, columns, include), where in ((WON, won_where), (OPEN, open_where)):
        op.drop_index(name, table_name="deal_replica")
        op.create_index(
            name,
            "deal_replica",
            columns,
            postgresql_include=include,
            postgresql_where=sa.text(where),
        )


def upgrade() -> None:
    op.add_column(
        "deal_replica",
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    _indexes("won_on IS NOT NULL AND NOT archived", "stage_kind = 'open' AND NOT archived")


def downgrade() -> None:
    _indexes("won_on IS NOT NULL", "stage_kind = 'open'")
    op.drop_column("deal_replica", "archived")
