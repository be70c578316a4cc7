"""The search rows hold all a search reads: the summary joins the full vector, and when each
was last changed is written as marks the full-text index holds too.

A common word matches thousands of documents, and the newest of them come first: sorting them
all read the search row of each. Each row now also carries `recency`, marks of the hour, day,
month and year its document was last changed (generated from `updated_at`); one full-text
index holds the rows' vectors, summaries and marks, so that "the word, in a document changed
since the last thousand or so changes" is one look-up in it, reading just those rows. The
summary moves to the same rows (from `document`): the documents about one word of several are
those whose summary holds it and whose vector holds them all, found together in the index.

`recency_cover(since, newest)` is the query of the marks of every moment from `since` to
`newest`: the hours, days, months or years between them, whichever are few enough.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The marks of a moment (UTC) and of a stretch of time, at four sizes of bucket. A mark starts
# with `~`, which no word of a query ever holds. The smallest size of bucket a stretch needs
# at most `up_to` of is the one its query is written in.
LEVELS = (
    ("hour", "~h", "YYYYMMDDHH24", "interval '24 hours'"),
    ("day", "~d", "YYYYMMDD", "interval '31 days'"),
    ("month", "~m", "YYYYMM", "interval '730 days'"),
    ("year", "~y", "YYYY", "NULL"),
)


def upgrade() -> None:
    marks = ", ".join(
        f"'{mark}' || to_char(at AT TIME ZONE 'UTC', '{form}')" for _, mark, form, _ in LEVELS
    )
    op.execute(
        f"""CREATE FUNCTION recency_marks(at timestamptz) RETURNS tsvector
           LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
               SELECT array_to_tsvector(ARRAY[{marks}])
           $$"""
    )
    levels = ", ".join(
        f"('{unit}', '{mark}', '{form}', {up_to})" for unit, mark, form, up_to in LEVELS
    )
    op.execute(
        f"""CREATE FUNCTION recency_cover(since timestamptz, newest timestamptz)
           RETURNS tsquery LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
               WITH level AS (
                   SELECT unit, mark, form
                   FROM (VALUES {levels}) AS level (unit, mark, form, up_to)
                   WHERE up_to IS NULL OR newest - since <= up_to
                   ORDER BY up_to NULLS LAST
                   LIMIT 1
               )
               SELECT string_agg(quote_literal(mark || to_char(at, form)), ' | ')::tsquery
               FROM level, generate_series(
                   date_trunc(unit, since AT TIME ZONE 'UTC'),
                   newest AT TIME ZONE 'UTC',
                   ('1 ' || unit)::interval
               ) AS at
           $$"""
    )
    op.add_column(
        "document_search",
        sa.Column("summary", TSVECTOR(), server_default=sa.text("''::tsvector"), nullable=False),
    )
    op.execute("ALTER TABLE document_search ALTER COLUMN summary SET STORAGE PLAIN")
    op.execute(
        "UPDATE document_search s SET summary = d.summary FROM document d WHERE d.id = s.document_id"
    )
    op.add_column(
        "document_search",
        sa.Column(
            "recency",
            TSVECTOR(),
            sa.Computed("recency_marks(updated_at)", persisted=True),
            nullable=False,
        ),
    )
    op.drop_index("ix_document_search_search", table_name="document_search")
    op.create_index(
        "ix_document_search",
        "document_search",
        ["search", "summary", "recency"],
        postgresql_using="gin",
    )
    op.drop_index("ix_document_summary", table_name="document")
    op.drop_column("document", "summary")


def downgrade() -> None:
    op.add_column(
        "document",
        sa.Column("summary", TSVECTOR(), server_default=sa.text("''::tsvector"), nullable=False),
    )
    op.execute("ALTER TABLE document ALTER COLUMN summary SET STORAGE PLAIN")
    op.execute(
        "UPDATE document d SET summary = s.summary FROM document_search s WHERE s.document_id = d.id"
    )
    op.create_index("ix_document_summary", "document", ["summary"], postgresql_using="gin")
    op.drop_index("ix_document_search", table_name="document_search")
    op.create_index(
        "ix_document_search_search", "document_search", ["search"], postgresql_using="gin"
    )
    op.drop_column("document_search", "recency")
    op.drop_column("document_search", "summary")
    op.execute("DROP FUNCTION recency_cover(timestamptz, timestamptz)")
    op.execute("DROP FUNCTION recency_marks(timestamptz)")
