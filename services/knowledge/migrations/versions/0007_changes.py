"""Requests and posts in order of change, for `updated_since` paging: posts get their
`updated_at` (the latest of their writing, edit, pin and deletion until now).

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
        "ix_service_request_updated_at_id", "service_request", ["updated_at", "id"], unique=False
    )
    op.add_column("post", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE post SET updated_at = greatest(created_at, edited_at, pinned_at, deleted_at)"
    )
    op.alter_column("post", "updated_at", nullable=False)
    op.create_index("ix_post_updated_at_id", "post", ["updated_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_post_updated_at_id", table_name="post")
    op.drop_column("post", "updated_at")
    op.drop_index("ix_service_request_updated_at_id", table_name="service_request")
