"""Folders, documents, versions, links, must-reads, text extraction, content, replicas.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "content",
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("chunk_size", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_content")),
    )
    op.create_table(
        "extraction",
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("media_type", sa.Text(), nullable=False),
        sa.Column(
            "status", sa.Text(), nullable=False, comment="pending | done | failed | unsupported"
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_extraction")),
    )
    op.create_index(
        "ix_extraction_pending",
        "extraction",
        ["run_after"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "folder",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["folder.id"], name=op.f("fk_folder_parent_id_folder")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_folder")),
    )
    op.create_index(op.f("ix_folder_parent_id"), "folder", ["parent_id"], unique=False)
    op.create_table(
        "member",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member")),
    )
    op.create_index(op.f("ix_member_department_id"), "member", ["department_id"], unique=False)
    op.create_index(op.f("ix_member_team_id"), "member", ["team_id"], unique=False)
    op.create_table(
        "team",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("head_id", sa.Uuid(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team")),
    )
    op.create_table(
        "content_chunk",
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["content.sha256"],
            name=op.f("fk_content_chunk_sha256_content"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sha256", "seq", name=op.f("pk_content_chunk")),
    )
    # Content is mostly compressed already (PDF, DOCX, images): no second compression, and a
    # range read fetches only the slices it needs.
    op.execute("ALTER TABLE content_chunk ALTER COLUMN data SET STORAGE EXTERNAL")
    op.create_table(
        "document",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("folder_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False, comment="file | page"),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("tags", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, comment="the current version's number"),
        sa.Column("sha256", sa.Text(), nullable=False, comment="the current version's content"),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("language", sa.Text(), nullable=False),
        sa.Column(
            "must_read",
            postgresql.ARRAY(sa.Text()),
            nullable=False,
            comment="principals asked to confirm each version",
        ),
        sa.Column(
            "search",
            postgresql.TSVECTOR(),
            server_default=sa.text("''::tsvector"),
            nullable=False,
            comment="every lexeme: finds it",
        ),
        sa.Column(
            "summary",
            postgresql.TSVECTOR(),
            server_default=sa.text("''::tsvector"),
            nullable=False,
            comment="a few lexemes: ranks it",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["folder_id"], ["folder.id"], name=op.f("fk_document_folder_id_folder")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document")),
    )
    op.create_index(
        "ix_document_folder_id_updated_at_id",
        "document",
        ["folder_id", "updated_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_document_owner_id_updated_at_id",
        "document",
        ["owner_id", "updated_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_document_search", "document", ["search"], unique=False, postgresql_using="gin"
    )
    op.create_index("ix_document_sha256", "document", ["sha256"], unique=False)
    op.create_index("ix_document_tags", "document", ["tags"], unique=False, postgresql_using="gin")
    op.create_index("ix_document_updated_at_id", "document", ["updated_at", "id"], unique=False)
    op.create_table(
        "folder_access",
        sa.Column("folder_id", sa.Uuid(), nullable=False),
        sa.Column("principal", sa.Text(), nullable=False),
        sa.Column("may_edit", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["folder_id"],
            ["folder.id"],
            name=op.f("fk_folder_access_folder_id_folder"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "folder_id", "principal", "may_edit", name=op.f("pk_folder_access")
        ),
    )
    op.create_index("ix_folder_access_principal", "folder_access", ["principal"], unique=False)
    op.create_table(
        "acknowledgement",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
            name=op.f("fk_acknowledgement_document_id_document"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "document_id", "version", "user_id", name=op.f("pk_acknowledgement")
        ),
    )
    op.create_index(
        "ix_acknowledgement_user_id",
        "acknowledgement",
        ["user_id", "acknowledged_at"],
        unique=False,
    )
    op.create_table(
        "document_link",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False, comment="deal | company | contact"),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("linked_by", sa.Uuid(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
            name=op.f("fk_document_link_document_id_document"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "document_id", "target", "target_id", name=op.f("pk_document_link")
        ),
    )
    op.create_index(
        "ix_document_link_target_target_id", "document_link", ["target", "target_id"], unique=False
    )
    op.create_table(
        "document_version",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("restored_from", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
            name=op.f("fk_document_version_document_id_document"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", "number", name=op.f("pk_document_version")),
    )


def downgrade() -> None:
    op.drop_table("document_version")
    op.drop_index("ix_document_link_target_target_id", table_name="document_link")
    op.drop_table("document_link")
    op.drop_index("ix_acknowledgement_user_id", table_name="acknowledgement")
    op.drop_table("acknowledgement")
    op.drop_index("ix_folder_access_principal", table_name="folder_access")
    op.drop_table("folder_access")
    op.drop_index("ix_document_updated_at_id", table_name="document")
    op.drop_index("ix_document_tags", table_name="document", postgresql_using="gin")
    op.drop_index("ix_document_sha256", table_name="document")
    op.drop_index("ix_document_search", table_name="document", postgresql_using="gin")
    op.drop_index("ix_document_owner_id_updated_at_id", table_name="document")
    op.drop_index("ix_document_folder_id_updated_at_id", table_name="document")
    op.drop_table("document")
    op.drop_table("content_chunk")
    op.drop_table("team")
    op.drop_index(op.f("ix_member_team_id"), table_name="member")
    op.drop_index(op.f("ix_member_department_id"), table_name="member")
    op.drop_table("member")
    op.drop_index(op.f("ix_folder_parent_id"), table_name="folder")
    op.drop_table("folder")
    op.drop_index(
        "ix_extraction_pending",
        table_name="extraction",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("extraction")
    op.drop_table("content")
