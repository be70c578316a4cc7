"""Tables of the knowledge service: folders, documents and versions, content, text, replicas."""

from datetime import date, datetime
from uuid import UUID, uuid4

from sqlalchemy import (
    BigInteger,
    Boolean,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    Text,
    func,
)
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import new_metadata
from shared.links import CustomerAccessTable, LinkedRecordTable


class Base(DeclarativeBase):
    metadata = new_metadata()


class Member(Base):
    """Knowledge's replica of a gateway user: groups and department decide what they may read."""

    __tablename__ = "member"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    team_id: Mapped[UUID | None] = mapped_column(index=True)
    department_id: Mapped[UUID | None] = mapped_column(index=True)
    active: Mapped[bool]
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LinkedRecord(LinkedRecordTable, Base):
    """Deals' deals, companies and contacts and their owners: what a document may be linked to."""


class CustomerAccess(CustomerAccessTable, Base):
    """Who reads companies and contacts, as deals' administrator chose."""


class Team(Base):
    """Knowledge's replica of a sales group: the tree decides who belongs to a group."""

    __tablename__ = "team"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[UUID | None]
    head_id: Mapped[UUID | None]
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Folder(Base):
    """A folder of the catalogue (Regulaminy sprzedaży, Cenniki, ...), in a tree."""

    __tablename__ = "folder"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    parent_id: Mapped[UUID | None] = mapped_column(ForeignKey("folder.id"), index=True)
    name: Mapped[str] = mapped_column(Text)
    created_by: Mapped[UUID]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class FolderAccess(Base):
    """One reader or editor of a folder: a principal (`everyone`, `team:<id>`, ...)."""

    __tablename__ = "folder_access"

    folder_id: Mapped[UUID] = mapped_column(
        ForeignKey("folder.id", ondelete="CASCADE"), primary_key=True
    )
    principal: Mapped[str] = mapped_column(Text, primary_key=True)
    may_edit: Mapped[bool] = mapped_column(primary_key=True)

    __table_args__ = (Index("ix_folder_access_principal", "principal"),)


class Document(Base):
    """A document: an uploaded file or a page written here, with its current version."""

    __tablename__ = "document"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    folder_id: Mapped[UUID | None] = mapped_column(ForeignKey("folder.id"))
    kind: Mapped[str] = mapped_column(Text, comment="file | page")
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    owner_id: Mapped[UUID]
    valid_until: Mapped[date | None]
    version: Mapped[int] = mapped_column(Integer, comment="the current version's number")
    sha256: Mapped[str] = mapped_column(Text, comment="the current version's content")
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(Text, default="pl")
    must_read: Mapped[list[str]] = mapped_column(
        ARRAY(Text), default=list, comment="principals asked to confirm each version"
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_document_folder_id_updated_at_id", "folder_id", "updated_at", "id"),
        Index("ix_document_owner_id_updated_at_id", "owner_id", "updated_at", "id"),
        Index("ix_document_updated_at_id", "updated_at", "id"),
        Index("ix_document_tags", "tags", postgresql_using="gin"),
        Index("ix_document_sha256", "sha256"),
    )


class DocumentSearch(Base):
    """What finding a document needs, in a row of its own: its full search vector, its
    summary, and the columns a search filters on (written by indexing; a trigger on `document`
    keeps the copies up with its changes, migration 0009).

    A common word matches thousands of documents, and the newest come first. Rather than
    read and sort them all, a search first asks the full-text index for the word among the
    documents changed since about a thousand changes ago (their `recency` marks, migration
    0010), and reads just those rows; only when too few of them match does it read them all.
    It never walks documents by date testing each one's vector.
    """

    __tablename__ = "document_search"

    document_id: Mapped[UUID] = mapped_column(
        ForeignKey("document.id", ondelete="CASCADE"), primary_key=True
    )
    folder_id: Mapped[UUID | None]
    owner_id: Mapped[UUID]
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    search: Mapped[str] = mapped_column(
        TSVECTOR, server_default=sql("''::tsvector"), comment="every lexeme: finds it"
    )
    anchored: Mapped[bool] = mapped_column(
        Boolean,
        server_default=sql("false"),
        comment="its anchors are written (documents indexed since)",
    )

    # Stays in the row, uncompressed (migration 0010): ranking many matches reads no large value.
    summary: Mapped[str] = mapped_column(
        TSVECTOR, server_default=sql("''::tsvector"), comment="a few lexemes: ranks it"
    )
    recency: Mapped[str] = mapped_column(
        TSVECTOR,
        Computed("recency_marks(updated_at)", persisted=True),
        comment="marks of the hour, day, month and year it was last changed",
    )

    # One index for the three, so that a search's conditions on them are one look-up in it,
    # whatever the plan's guess of their matches.
    __table_args__ = (
        Index("ix_document_search", "search", "summary", "recency", postgresql_using="gin"),
    )


class DocumentAnchors(Base):
    """Where in a document's text each lexeme first appears (characters), for snippets: in
    `domain.text.ANCHOR_BUCKETS` small rows by a hash of the lexeme, so that a hit's anchors
    for a word are one look-up of a row that stays in its page, not a read of them all."""

    __tablename__ = "document_anchors"

    document_id: Mapped[UUID] = mapped_column(
        ForeignKey("document.id", ondelete="CASCADE"), primary_key=True
    )
    bucket: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    anchors: Mapped[dict[str, int]] = mapped_column(JSONB, comment="lexeme -> offset")


class DocumentVersion(Base):
    """One upload (or restore) of a document: who, when, a note, and its content by hash."""

    __tablename__ = "document_version"

    document_id: Mapped[UUID] = mapped_column(
        ForeignKey("document.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[UUID]
    restored_from: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DocumentLink(Base):
    """A document attached to a deal, a company or a contact."""

    __tablename__ = "document_link"

    document_id: Mapped[UUID] = mapped_column(
        ForeignKey("document.id", ondelete="CASCADE"), primary_key=True
    )
    target: Mapped[str] = mapped_column(Text, primary_key=True, comment="deal | company | contact")
    target_id: Mapped[UUID] = mapped_column(primary_key=True)
    linked_by: Mapped[UUID]
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_document_link_target_target_id", "target", "target_id"),)


class Acknowledgement(Base):
    """A must-read: one person asked to confirm one version; confirmed when `acknowledged_at`."""

    __tablename__ = "acknowledgement"

    document_id: Mapped[UUID] = mapped_column(
        ForeignKey("document.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[UUID] = mapped_column(primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_acknowledgement_user_id", "user_id", "acknowledged_at"),)


class Extraction(Base):
    """The text of one content (by hash), extracted in the background: the job and its result.

    Workers claim pending rows with `FOR UPDATE SKIP LOCKED`; a failure is retried later, up
    to a few attempts, and its error is kept for everyone to see.
    """

    __tablename__ = "extraction"

    sha256: Mapped[str] = mapped_column(Text, primary_key=True)
    media_type: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, comment="pending | done | failed | unsupported")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text, default="")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_extraction_pending", "run_after", postgresql_where=sql("status = 'pending'")),
    )


class TextPiece(Base):
    """An extracted text in pieces of `domain.text.PIECE` characters, in order: a hit's snippet
    reads the one or two pieces around its first match, never the whole text."""

    __tablename__ = "text_piece"

    sha256: Mapped[str] = mapped_column(
        ForeignKey("extraction.sha256", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True, comment="from 0")
    text: Mapped[str] = mapped_column(Text)


class Content(Base):
    """File content kept in the database (the default storage), by its SHA-256."""

    __tablename__ = "content"

    sha256: Mapped[str] = mapped_column(Text, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    chunk_size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ContentChunk(Base):
    """One piece of a content, in order; stored uncompressed so a range reads only its part."""

    __tablename__ = "content_chunk"

    sha256: Mapped[str] = mapped_column(
        ForeignKey("content.sha256", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
