"""Failed sign-ins remember the client address: guessing is throttled by e-mail and address.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "login_failure",
        sa.Column("client_address", sa.Text(), server_default="", nullable=False),
    )
    op.create_index(
        "ix_login_failure_client_address", "login_failure", ["client_address", "failed_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_login_failure_client_address", table_name="login_failure")
    op.drop_column("login_failure", "client_address")
