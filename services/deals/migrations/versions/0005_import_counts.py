"""Imports that update: contacts found again by e-mail (whatever its case) are updated or skipped,
and the job counts those rows.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for name in ("updated", "skipped"):
        op.add_column(
            "import_job", sa.Column(name, sa.Integer(), server_default="0", nullable=False)
        )
        op.alter_column("import_job", name, server_default=None)
    op.create_index("ix_contact_lower_email", "contact", [sa.text("lower(email)")])


def downgrade() -> None:
    op.drop_index("ix_contact_lower_email", table_name="contact")
    for name in ("skipped", "updated"):
        op.drop_column("import_job", name)
