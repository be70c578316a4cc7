"""Events published by the knowledge service: documents, their versions, links and must-reads."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.events import Contract, contract

SOURCE = "crm/knowledge"
DOCUMENT_TOPIC = "crm.knowledge.document"


class DocumentSnapshot(Contract):
    """A document as it stands after the change, with its current version."""

    document_id: UUID
    folder_id: UUID | None = Field(description="null: kept with its owner, outside the folders")
    kind: Literal["file", "page"] = Field(description="an uploaded file, or a page written here")
    title: str = Field(examples=["Regulamin sprzedaży 2026"])
    tags: list[str] = Field(default_factory=list, examples=[["regulamin", "sprzedaż"]])
    owner_id: UUID
    valid_until: date | None = Field(default=None, description="e.g. when a price list expires")
    version: int = Field(ge=1, description="the current version's number")
    media_type: str = Field(description="sniffed from the content", examples=["application/pdf"])
    file_name: str = Field(examples=["Regulamin sprzedaży.pdf"])
    size: int = Field(ge=0, description="bytes")
    sha256: str = Field(description="hex digest of the current version's content")
    url: str = Field(
        description="the document's page in the CRM", examples=["/knowledge/documents/6f1c…"]
    )


@contract("crm.document.created.v1", topic=DOCUMENT_TOPIC, source=SOURCE)
class DocumentCreated(DocumentSnapshot):
    """A document was added to the knowledge base (its first version)."""


@contract("crm.document.versioned.v1", topic=DOCUMENT_TOPIC, source=SOURCE)
class DocumentVersioned(DocumentSnapshot):
    """A new version became current: an upload, or an older version restored."""

    author_id: UUID
    note: str = Field(default="", examples=["Ceny od 1 stycznia"])
    restored_from: int | None = Field(default=None, description="the version brought back")


@contract("crm.document.archived.v1", topic=DOCUMENT_TOPIC, source=SOURCE)
class DocumentArchived(DocumentSnapshot):
    """A document was archived: gone from lists and search; links to it no longer count."""


@contract("crm.document.linked.v1", topic=DOCUMENT_TOPIC, source=SOURCE)
class DocumentLinked(Contract):
    """A document was attached to a deal, a company or a contact (e.g. the commercial offer)."""

    document_id: UUID
    title: str
    target: Literal["deal", "company", "contact"]
    target_id: UUID
    linked_by: UUID
    linked_at: datetime
    url: str = Field(
        description="the document's page in the CRM", examples=["/knowledge/documents/6f1c…"]
    )


@contract("crm.document.acknowledgement_requested.v1", topic=DOCUMENT_TOPIC, source=SOURCE)
class DocumentAcknowledgementRequested(Contract):
    """People must read a document's version and confirm it (a must-read; asked again per version)."""

    document_id: UUID
    title: str
    version: int
    recipient_ids: list[UUID]
    requested_by: UUID


@contract("crm.document.acknowledged.v1", topic=DOCUMENT_TOPIC, source=SOURCE)
class DocumentAcknowledged(Contract):
    """Someone confirmed having read a must-read document's version."""

    document_id: UUID
    version: int
    user_id: UUID
    acknowledged_at: datetime


# --- the feed ("taśma"): posts, comments, reactions, promotion -------------------------------

POST_TOPIC = "crm.knowledge.post"

PostKind = Literal["note", "deal_won", "plan_approved", "request_delivered", "document_added"]


class PostRecord(Contract):
    """The company, contact or deal a post is a note on (its thread on the record)."""

    target: Literal["deal", "company", "contact"]
    target_id: UUID


class PostSnapshot(Contract):
    """A post as it stands after the change."""

    post_id: UUID
    author_id: UUID = Field(description="who wrote it; for an automatic post, who caused it")
    kind: PostKind = Field(description="`note`: written by a person; else the automatic kind")
    text: str = Field(description="light Markdown", examples=["Klient prosi o #rabat do piątku"])
    tags: list[str] = Field(default_factory=list, examples=[["rabat"]])
    audience: list[str] = Field(
        description="principals who may read it: `everyone`, `team:<id>`, `department:<id>`, "
        "`user:<id>`",
        examples=[["everyone"]],
    )
    important: bool = Field(default=False, description="the audience is asked to confirm it")
    pinned: bool = False
    record: PostRecord | None = None
    mentioned_ids: list[UUID] = Field(default_factory=list)
    attachments: int = Field(default=0, ge=0, description="files attached")
    document_id: UUID | None = Field(default=None, description="the document it was promoted to")
    created_at: datetime
    edited_at: datetime | None = None
    url: str = Field(description="the post's page in the CRM", examples=["/feed/posts/6f1c…"])


@contract("crm.post.created.v1", topic=POST_TOPIC, source=SOURCE)
class PostCreated(PostSnapshot):
    """A post was written (or made from an event: a deal won, a plan approved, ...)."""

    asked_ids: list[UUID] = Field(
        default_factory=list, description="an important post: the people asked to confirm it"
    )


@contract("crm.post.edited.v1", topic=POST_TOPIC, source=SOURCE)
class PostEdited(PostSnapshot):
    """A post's text, audience, importance or pin changed (the old text stays in its history)."""

    edited_by: UUID
    new_mention_ids: list[UUID] = Field(
        default_factory=list, description="people mentioned by this change, not before"
    )
    asked_ids: list[UUID] = Field(
        default_factory=list, description="people asked to confirm it by this change"
    )


@contract("crm.post.deleted.v1", topic=POST_TOPIC, source=SOURCE)
class PostDeleted(Contract):
    """A post was deleted by its author or an administrator: gone from the feed and search."""

    post_id: UUID
    author_id: UUID
    deleted_by: UUID
    deleted_at: datetime
    audience: list[str]
    record: PostRecord | None = None


@contract("crm.post.commented.v1", topic=POST_TOPIC, source=SOURCE)
class PostCommented(Contract):
    """Someone commented on a post."""

    post_id: UUID
    comment_id: UUID
    author_id: UUID = Field(description="who wrote the comment")
    post_author_id: UUID
    text: str
    mentioned_ids: list[UUID] = Field(default_factory=list)
    audience: list[str] = Field(description="the post's audience")
    record: PostRecord | None = None
    created_at: datetime
    url: str


@contract("crm.post.reacted.v1", topic=POST_TOPIC, source=SOURCE)
class PostReacted(Contract):
    """Someone added or took back a reaction to a post."""

    post_id: UUID
    post_author_id: UUID
    user_id: UUID
    reaction: str = Field(examples=["like"])
    added: bool = Field(description="false: the reaction was taken back")
    counts: dict[str, int] = Field(description="the post's reactions by kind, after the change")
    audience: list[str]
    record: PostRecord | None = None


@contract("crm.post.promoted.v1", topic=POST_TOPIC, source=SOURCE)
class PostPromoted(Contract):
    """A post, with its comments and attachments, became a document in a folder."""

    post_id: UUID
    post_author_id: UUID
    document_id: UUID
    folder_id: UUID
    promoted_by: UUID
    promoted_at: datetime
    url: str = Field(description="the document's page in the CRM")
    audience: list[str]
    record: PostRecord | None = None
