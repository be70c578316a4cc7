"""The global search finds activities by the words of their titles (a GIN index over the
folded words).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import word_vector_sql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_activity_title_words",
        "activity",
        [sa.text(word_vector_sql("title"))],
        postgresql_using="gin",
    )


def downgrade() -> None:
    op.drop_index("ix_activity_title_words", table_name="activity")
