"""A document's search vector in a narrow row of its own, with what a search filters on.

A search reads the row of every document its words match; a document row is several hundred
bytes (the ranking summary stays in it), so a common word read most of the table. The full
vector moves to `document_search`, whose rows also carry copies of the columns a search
filters on (folder, owner, when changed, archived): written by indexing, and kept up with the
document's changes by a trigger on `document`. Where in
the text each lexeme first appears (`document_anchors`, for snippets) is kept in sixteen small
rows a document, by a hash of the lexeme: a hit's anchors for a word are one look-up. The
summary gets its own full-text index: the few documents that are about a word are ranked
from it.

Extracted text is also kept in
pieces of 1,024 characters (`text_piece`), small enough to stay in their rows: a snippet reads
the one or two pieces around its match instead of the whole text.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COPIED = ("folder_id", "owner_id", "updated_at", "archived_at")
PIECE = 1024  # `domain.text.PIECE` when this was written


def upgrade() -> None:
    op.create_table(
        "document_search",
        sa.Column(
            "document_id",
            sa.Uuid(),
            sa.ForeignKey(
                "document.id", ondelete="CASCADE", name="fk_document_search_document_id_document"
            ),
            primary_key=True,
        ),
        sa.Column("folder_id", sa.Uuid(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("search", TSVECTOR(), server_default=sa.text("''::tsvector"), nullable=False),
        sa.Column("anchored", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.create_table(
        "document_anchors",
        sa.Column(
            "document_id",
            sa.Uuid(),
            sa.ForeignKey(
                "document.id", ondelete="CASCADE", name="fk_document_anchors_document_id_document"
            ),
            primary_key=True,
        ),
        sa.Column("bucket", sa.SmallInteger(), primary_key=True),
        sa.Column("anchors", JSONB(), nullable=False),
    )
    op.execute(
        """INSERT INTO document_search (document_id, folder_id, owner_id, updated_at,
               archived_at, search)
           SELECT id, folder_id, owner_id, updated_at, archived_at, search FROM document"""
    )
    op.create_index(
        "ix_document_search_search", "document_search", ["search"], postgresql_using="gin"
    )
    op.drop_index("ix_document_search", table_name="document")
    op.drop_column("document", "search")
    op.create_index("ix_document_summary", "document", ["summary"], postgresql_using="gin")
    op.execute(
        f"""CREATE FUNCTION document_search_follows() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
               UPDATE document_search SET
                   {", ".join(f"{column} = NEW.{column}" for column in COPIED)}
               WHERE document_id = NEW.id;
               RETURN NULL;
           END $$"""
    )
    changed = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in COPIED)
    op.execute(  # the row itself is written by indexing, which every new document goes through
        f"""CREATE TRIGGER document_search_follows
           AFTER UPDATE OF {", ".join(COPIED)} ON document
           FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION document_search_follows()"""
    )
    op.create_table(
        "text_piece",
        sa.Column(
            "sha256",
            sa.Text(),
            sa.ForeignKey(
                "extraction.sha256", ondelete="CASCADE", name="fk_text_piece_sha256_extraction"
            ),
            primary_key=True,
        ),
        sa.Column("number", sa.Integer(), primary_key=True, comment="from 0"),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.execute(
        f"""INSERT INTO text_piece (sha256, number, text)
           SELECT sha256, n, substr(text, n * {PIECE} + 1, {PIECE})
           FROM extraction, generate_series(0, (length(text) - 1) / {PIECE}) AS n
           WHERE status = 'done' AND text <> ''"""
    )


def downgrade() -> None:
    op.drop_table("text_piece")
    op.drop_table("document_anchors")
    op.execute("DROP TRIGGER document_search_follows ON document")
    op.execute("DROP FUNCTION document_search_follows()")
    op.drop_index("ix_document_summary", table_name="document")
    op.add_column(
        "document",
        sa.Column("search", TSVECTOR(), server_default=sa.text("''::tsvector"), nullable=False),
    )
    op.execute(
        "UPDATE document SET search = s.search FROM document_search s WHERE s.document_id = id"
    )
    op.create_index("ix_document_search", "document", ["search"], postgresql_using="gin")
    op.drop_table("document_search")
