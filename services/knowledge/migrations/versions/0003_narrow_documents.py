"""Keep the document rows narrow: a search reads thousands of them to rank its matches.

A document's full search vector (every lexeme of its text, often kilobytes even compressed) and
its description leave the row for TOAST storage as soon as the row passes 256 bytes, while the
small summary the ranking reads stays in the row, uncompressed. Rows written before are
rewritten in place so they follow the same rule.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE document SET (toast_tuple_target = 256)")
    op.execute("ALTER TABLE document ALTER COLUMN summary SET STORAGE PLAIN")
    op.execute("UPDATE document SET summary = summary")


def downgrade() -> None:
    op.execute("ALTER TABLE document ALTER COLUMN summary SET STORAGE EXTENDED")
    op.execute("ALTER TABLE document RESET (toast_tuple_target)")
