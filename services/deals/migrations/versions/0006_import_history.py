"""Import history: each job keeps its file's name; one's own jobs, or everyone's, newest first.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("import_job", sa.Column("file_name", sa.Text(), nullable=True))
    op.drop_index("ix_import_job_created_by_created_at", table_name="import_job")
    op.create_index(
        "ix_import_job_created_by_created_at_id", "import_job", ["created_by", "created_at", "id"]
    )
    op.create_index("ix_import_job_created_at_id", "import_job", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_import_job_created_at_id", table_name="import_job")
    op.drop_index("ix_import_job_created_by_created_at_id", table_name="import_job")
    op.create_index(
        "ix_import_job_created_by_created_at", "import_job", ["created_by", "created_at"]
    )
    op.drop_column("import_job", "file_name")
