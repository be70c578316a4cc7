"""The feed: posts, their history, comments, reactions, attachments, confirmations, followed
folders, the switches of automatic posts, and the replica of records posts are written on.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIVE = "deleted_at IS NULL"


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "post",
        sa.Column("id", sa.Uuid(), nullable=False, comment="time-ordered (UUIDv7)"),
        sa.Column("kind", sa.Text(), nullable=False, comment="note, or the automatic kind"),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False, comment="light Markdown"),
        sa.Column("tags", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column(
            "audience",
            postgresql.ARRAY(sa.Text()),
            nullable=False,
            comment="principals who read it",
        ),
        sa.Column("mentions", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("important", sa.Boolean(), nullable=False),
        _timestamp("pinned_at", nullable=True),
        sa.Column("record_kind", sa.Text(), nullable=True, comment="deal | company | contact"),
        sa.Column("record_id", sa.Uuid(), nullable=True),
        sa.Column(
            "document_id", sa.Uuid(), nullable=True, comment="the document it was promoted to"
        ),
        sa.Column("comment_count", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False, comment="1 + the edits"),
        sa.Column(
            "automatic_key",
            sa.Text(),
            nullable=True,
            comment="what an automatic post is about, when later events change it",
        ),
        sa.Column("facts", postgresql.JSONB(), nullable=False),
        sa.Column("language", sa.Text(), nullable=False),
        sa.Column(
            "search",
            postgresql.TSVECTOR(),
            server_default=sa.text("''::tsvector"),
            nullable=False,
        ),
        _timestamp("created_at"),
        _timestamp("edited_at", nullable=True),
        _timestamp("deleted_at", nullable=True),
        sa.Column("deleted_by", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post")),
    )
    op.create_index(
        "ix_post_created_at_id",
        "post",
        [sa.text("created_at DESC"), sa.text("id DESC")],
        postgresql_where=sa.text(_LIVE),
    )
    op.create_index(
        "ix_post_author_id_created_at_id",
        "post",
        ["author_id", sa.text("created_at DESC"), sa.text("id DESC")],
        postgresql_where=sa.text(_LIVE),
    )
    op.create_index(
        "ix_post_record_id_created_at_id",
        "post",
        ["record_id", sa.text("created_at DESC"), sa.text("id DESC")],
        postgresql_where=sa.text(f"{_LIVE} AND record_id IS NOT NULL"),
    )
    op.create_index(
        "ix_post_pinned_at",
        "post",
        ["pinned_at"],
        postgresql_where=sa.text(f"{_LIVE} AND pinned_at IS NOT NULL"),
    )
    op.create_index("ix_post_search", "post", ["search"], postgresql_using="gin")
    op.create_index("ix_post_tags", "post", ["tags"], postgresql_using="gin")
    op.create_index("ix_post_audience", "post", ["audience"], postgresql_using="gin")
    op.create_index(
        "uq_post_automatic_key",
        "post",
        ["automatic_key"],
        unique=True,
        postgresql_where=sa.text("automatic_key IS NOT NULL"),
    )
    op.create_table(
        "post_revision",
        sa.Column("post_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("written_by", sa.Uuid(), nullable=False),
        _timestamp("written_at"),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name=op.f("fk_post_revision_post_id_post"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id", "number", name=op.f("pk_post_revision")),
    )
    op.create_table(
        "post_comment",
        sa.Column("id", sa.Uuid(), nullable=False, comment="time-ordered (UUIDv7)"),
        sa.Column("post_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("mentions", postgresql.ARRAY(sa.Uuid()), nullable=False),
        _timestamp("created_at"),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name=op.f("fk_post_comment_post_id_post"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_comment")),
    )
    op.create_index("ix_post_comment_post_id_created_at", "post_comment", ["post_id", "created_at"])
    op.create_table(
        "post_reaction",
        sa.Column("post_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("reaction", sa.Text(), nullable=False),
        _timestamp("created_at"),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name=op.f("fk_post_reaction_post_id_post"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id", "user_id", "reaction", name=op.f("pk_post_reaction")),
    )
    op.create_table(
        "post_attachment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("post_id", sa.Uuid(), nullable=True),
        sa.Column("uploaded_by", sa.Uuid(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        _timestamp("created_at"),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["post.id"],
            name=op.f("fk_post_attachment_post_id_post"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_attachment")),
    )
    op.create_index(op.f("ix_post_attachment_post_id"), "post_attachment", ["post_id"])
    op.create_table(
        "post_acknowledgement",
        sa.Column("post_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        _timestamp("requested_at"),
        _timestamp("acknowledged_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["post.id"],
            name=op.f("fk_post_acknowledgement_post_id_post"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("post_id", "user_id", name=op.f("pk_post_acknowledgement")),
    )
    op.create_index(
        "ix_post_acknowledgement_user_id", "post_acknowledgement", ["user_id", "acknowledged_at"]
    )
    op.create_table(
        "folder_follow",
        sa.Column("folder_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        _timestamp("created_at"),
        sa.ForeignKeyConstraint(
            ["folder_id"],
            ["folder.id"],
            name=op.f("fk_folder_follow_folder_id_folder"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("folder_id", "user_id", name=op.f("pk_folder_follow")),
    )
    op.create_table(
        "feed_setting",
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("changed_by", sa.Uuid(), nullable=False),
        _timestamp("changed_at"),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_feed_setting")),
    )
    op.create_table(
        "record",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False, comment="deal | company | contact"),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True, comment="a deal's owner"),
        sa.Column("company_id", sa.Uuid(), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        _timestamp("changed_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record")),
    )
    op.create_index(op.f("ix_record_owner_id"), "record", ["owner_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_record_owner_id"), table_name="record")
    op.drop_table("record")
    op.drop_table("feed_setting")
    op.drop_table("folder_follow")
    op.drop_index("ix_post_acknowledgement_user_id", table_name="post_acknowledgement")
    op.drop_table("post_acknowledgement")
    op.drop_index(op.f("ix_post_attachment_post_id"), table_name="post_attachment")
    op.drop_table("post_attachment")
    op.drop_table("post_reaction")
    op.drop_index("ix_post_comment_post_id_created_at", table_name="post_comment")
    op.drop_table("post_comment")
    op.drop_table("post_revision")
    for index in (
        "uq_post_automatic_key",
        "ix_post_audience",
        "ix_post_tags",
        "ix_post_search",
        "ix_post_pinned_at",
        "ix_post_record_id_created_at_id",
        "ix_post_author_id_created_at_id",
        "ix_post_created_at_id",
    ):
        op.drop_index(index, table_name="post")
    op.drop_table("post")
