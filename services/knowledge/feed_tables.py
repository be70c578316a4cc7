"""Tables of the feed ("taśma"): posts, their history, comments, reactions, attachments,
confirmations, followed folders, the administrator's switches, and the records posts are on."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, Text, Uuid
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from services.knowledge.tables import Base


class Post(Base):
    """A post of the feed: a person's note, or one made from an event (a deal won, ...)."""

    __tablename__ = "post"

    id: Mapped[UUID] = mapped_column(primary_key=True, comment="time-ordered (UUIDv7)")
    kind: Mapped[str] = mapped_column(Text, comment="note, or the automatic kind")
    author_id: Mapped[UUID]
    text: Mapped[str] = mapped_column(Text, comment="light Markdown")
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    audience: Mapped[list[str]] = mapped_column(ARRAY(Text), comment="principals who read it")
    mentions: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid()), default=list)
    important: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    record_kind: Mapped[str | None] = mapped_column(Text, comment="deal | company | contact")
    record_id: Mapped[UUID | None]
    document_id: Mapped[UUID | None] = mapped_column(comment="the document it was promoted to")
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    revision: Mapped[int] = mapped_column(Integer, default=1, comment="1 + the edits")
    automatic_key: Mapped[str | None] = mapped_column(
        Text, comment="what an automatic post is about, when later events change it"
    )
    facts: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    language: Mapped[str] = mapped_column(Text, default="pl")
    search: Mapped[str] = mapped_column(TSVECTOR, server_default=sql("''::tsvector"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_by: Mapped[UUID | None]
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), comment="written, edited, pinned, commented, promoted, deleted"
    )

    __table_args__ = (
        Index(
            "ix_post_created_at_id",
            sql("created_at DESC"),
            sql("id DESC"),
            postgresql_where=sql("deleted_at IS NULL"),
        ),
        Index(
            "ix_post_author_id_created_at_id",
            "author_id",
            sql("created_at DESC"),
            sql("id DESC"),
            postgresql_where=sql("deleted_at IS NULL"),
        ),
        Index(
            "ix_post_record_id_created_at_id",
            "record_id",
            sql("created_at DESC"),
            sql("id DESC"),
            postgresql_where=sql("deleted_at IS NULL AND record_id IS NOT NULL"),
        ),
        Index(
            "ix_post_pinned_at",
            "pinned_at",
            postgresql_where=sql("deleted_at IS NULL AND pinned_at IS NOT NULL"),
        ),
        Index("ix_post_updated_at_id", "updated_at", "id"),
        Index("ix_post_search", "search", postgresql_using="gin"),
        Index("ix_post_tags", "tags", postgresql_using="gin"),
        Index("ix_post_audience", "audience", postgresql_using="gin"),
        Index(
            "uq_post_automatic_key",
            "automatic_key",
            unique=True,
            postgresql_where=sql("automatic_key IS NOT NULL"),
        ),
    )


class PostRevision(Base):
    """An earlier text of an edited post: who wrote it and when."""

    __tablename__ = "post_revision"

    post_id: Mapped[UUID] = mapped_column(
        ForeignKey("post.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    written_by: Mapped[UUID]
    written_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PostComment(Base):
    """A comment on a post (one level: comments have no replies of their own)."""

    __tablename__ = "post_comment"

    id: Mapped[UUID] = mapped_column(primary_key=True, comment="time-ordered (UUIDv7)")
    post_id: Mapped[UUID] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    author_id: Mapped[UUID]
    text: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid()), default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_post_comment_post_id_created_at", "post_id", "created_at"),)


class PostReaction(Base):
    """One person's reaction of one kind to a post."""

    __tablename__ = "post_reaction"

    post_id: Mapped[UUID] = mapped_column(
        ForeignKey("post.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[UUID] = mapped_column(primary_key=True)
    reaction: Mapped[str] = mapped_column(Text, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PostAttachment(Base):
    """A file attached to a post, its content kept by hash like a document's; uploaded first,
    then named by the post that carries it."""

    __tablename__ = "post_attachment"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    post_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("post.id", ondelete="CASCADE"), index=True
    )
    uploaded_by: Mapped[UUID]
    sha256: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PostAcknowledgement(Base):
    """An important post: one reader asked to confirm it; confirmed when `acknowledged_at`."""

    __tablename__ = "post_acknowledgement"

    post_id: Mapped[UUID] = mapped_column(
        ForeignKey("post.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[UUID] = mapped_column(primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_post_acknowledgement_user_id", "user_id", "acknowledged_at"),)


class FolderFollow(Base):
    """Someone follows a folder: its new documents and versions come to them as posts."""

    __tablename__ = "folder_follow"

    folder_id: Mapped[UUID] = mapped_column(
        ForeignKey("folder.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FeedSetting(Base):
    """The administrator's switch for one kind of automatic post (on unless switched off)."""

    __tablename__ = "feed_setting"

    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    changed_by: Mapped[UUID]
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Record(Base):
    """Knowledge's replica of the deals, companies and contacts posts are written on: who may
    see a deal (its owner), names for automatic posts; from deals' snapshot events."""

    __tablename__ = "record"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(Text, comment="deal | company | contact")
    name: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[UUID | None] = mapped_column(index=True, comment="a deal's owner")
    company_id: Mapped[UUID | None]
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
