"""People's e-mail addresses in the deals service's replica: an import names an owner by one.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Filled by the next snapshot of each person (`crm user republish` sends them all at once).
    op.add_column(
        "member",
        sa.Column("email", sa.Text(), nullable=True, comment="lower case; null until a snapshot"),
    )


def downgrade() -> None:
    op.drop_column("member", "email")
