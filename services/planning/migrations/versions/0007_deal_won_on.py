"""The day a deal was won: actual revenue counts then, not on its expected close date.

Deals already won are given their expected close date, the only day known for them: an
approximation until their next event (the won day is taken from events from now on).

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
    op.add_column(
        "deal_replica",
        sa.Column(
            "won_on",
            sa.Date(),
            nullable=True,
            comment="the company's date the deal was won; null unless it is won",
        ),
    )
    op.execute("UPDATE deal_replica SET won_on = expected_close_date WHERE stage_kind = 'won'")
    # The summary reads won deals by the day they were won and open ones by their expected
    # close, each from an index holding what it sums.
    op.create_index(
        "ix_deal_replica_won_on",
        "deal_replica",
        ["won_on"],
        postgresql_include=["owner_id", "company_id", "amount", "currency"],
        postgresql_where=sa.text("won_on IS NOT NULL"),
    )
    op.create_index(
        "ix_deal_replica_open_expected_close_date",
        "deal_replica",
        ["expected_close_date"],
        postgresql_include=["owner_id", "company_id", "amount", "currency", "probability"],
        postgresql_where=sa.text("stage_kind = 'open'"),
    )
    op.drop_index("ix_deal_replica_expected_close_date", table_name="deal_replica")


def downgrade() -> None:
    op.create_index("ix_deal_replica_expected_close_date", "deal_replica", ["expected_close_date"])
    op.drop_index("ix_deal_replica_open_expected_close_date", table_name="deal_replica")
    op.drop_index("ix_deal_replica_won_on", table_name="deal_replica")
    op.drop_column("deal_replica", "won_on")
