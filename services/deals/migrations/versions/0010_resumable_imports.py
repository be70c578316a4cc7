"""An import keeps its file until it is done and can be `interrupted`: its worker died or was
stopped, and it is resumed from the first row not committed.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint("ck_import_job_status", "import_job")
    op.create_check_constraint(
        op.f("ck_import_job_status"),
        "import_job",
        "status IN ('running', 'done', 'failed', 'interrupted')",
    )
    op.add_column("import_job", sa.Column("content", sa.LargeBinary(), nullable=True))
    op.add_column("import_job", sa.Column("mapping", postgresql.JSONB(), nullable=True))


def downgrade() -> None:
    op.drop_column("import_job", "mapping")
    op.drop_column("import_job", "content")
    op.execute("UPDATE import_job SET status = 'failed' WHERE status = 'interrupted'")
    op.drop_constraint("ck_import_job_status", "import_job")
    op.create_check_constraint(
        op.f("ck_import_job_status"), "import_job", "status IN ('running', 'done', 'failed')"
    )
