"""The global search finds companies, contacts and deals by the words of their names: GIN
indexes over the folded words, so a search costs the same with a thousand deals or 100,000.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import word_vector_sql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_company_name_words", "company", "name"),
    ("ix_contact_name_words", "contact", "name"),
    ("ix_deal_title_words", "deal", "title"),
)


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [sa.text(word_vector_sql(column))], postgresql_using="gin")


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
