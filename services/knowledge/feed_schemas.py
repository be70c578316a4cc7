"""Request and response models of the feed's API (`/api/feed`, `/api/posts`)."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from services.knowledge.domain.posts import REACTIONS
from services.knowledge.schemas import Fragment, Principal
from shared.schemas import Strict

if TYPE_CHECKING:
    from services.knowledge.feed_tables import PostAttachment, PostRevision
    from services.knowledge.usecases.feed import Confirmation, PostView, Said
    from services.knowledge.usecases.post_search import PostHit

Reaction = Literal["like", "love", "celebrate", "laugh", "wow"]
assert set(REACTIONS) == set(Reaction.__args__)  # type: ignore[attr-defined]
RecordKind = Literal["deal", "company", "contact"]
Audience = Annotated[
    list[Principal],
    Field(
        min_length=1,
        max_length=200,
        description="who reads it: `everyone`, groups, departments or people",
        examples=[["everyone"]],
    ),
]
Mentions = Annotated[
    list[UUID], Field(max_length=50, description="people the text mentions (notified)")
]
PostText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=10_000,
        description="light Markdown; `#tags` are found in it",
        examples=["Klient z Łodzi prosi o #rabat do piątku"],
    ),
]


class RecordLink(Strict):
    target: RecordKind
    target_id: UUID


class PostCreate(Strict):
    text: PostText
    audience: Audience = Field(default_factory=lambda: ["everyone"])
    important: bool = Field(default=False, description="the audience is asked to confirm it")
    record: RecordLink | None = Field(default=None, description="a note on this record")
    mentions: Mentions = Field(default_factory=list)
    attachment_ids: list[UUID] = Field(
        default_factory=list, max_length=10, description="files from POST /api/feed/attachments"
    )


class PostUpdate(Strict):
    text: PostText | None = None
    audience: Audience | None = None
    important: bool | None = None
    pinned: bool | None = Field(default=None, description="on top of everyone's feed")
    mentions: Mentions | None = None


class CommentCreate(Strict):
    text: Annotated[str, Field(min_length=1, max_length=5000)]
    mentions: Mentions = Field(default_factory=list)


class ReactionCreate(Strict):
    reaction: Reaction


class PromotionCreate(Strict):
    folder_id: UUID
    title: Annotated[str | None, Field(min_length=1, max_length=300)] = Field(
        default=None, description="defaults to the post's first line"
    )


class FeedSwitches(Strict):
    """Kinds of automatic post, on or off (those not sent stay as they are)."""

    deal_won: bool | None = None
    plan_approved: bool | None = None
    request_delivered: bool | None = None
    document_added: bool | None = None


class Person(BaseModel):
    id: UUID
    name: str


class AttachmentPublic(BaseModel):
    id: UUID
    file_name: str
    media_type: str
    size: int
    url: str | None = Field(description="its content; null until a post carries it")

    @classmethod
    def of(cls, attachment: "PostAttachment") -> "AttachmentPublic":
        url = None
        if attachment.post_id is not None:
            url = f"/api/posts/{attachment.post_id}/attachments/{attachment.id}"
        return cls(
            id=attachment.id,
            file_name=attachment.file_name,
            media_type=attachment.media_type,
            size=attachment.size,
            url=url,
        )


class CommentPublic(BaseModel):
    id: UUID
    post_id: UUID
    author_id: UUID
    author_name: str
    text: str
    mentions: list[Person]
    created_at: datetime

    @classmethod
    def of(cls, said: "Said", names: dict[UUID, str]) -> "CommentPublic":
        comment = said.comment
        return cls(
            id=comment.id,
            post_id=comment.post_id,
            author_id=comment.author_id,
            author_name=said.author,
            text=comment.text,
            mentions=[Person(id=p, name=names.get(p, "")) for p in comment.mentions],
            created_at=comment.created_at,
        )


class Confirmed(BaseModel):
    confirmed: int
    waiting: int


class PostPublic(BaseModel):
    id: UUID
    kind: Literal["note", "deal_won", "plan_approved", "request_delivered", "document_added"]
    author_id: UUID
    author_name: str
    text: str
    tags: list[str]
    audience: list[str]
    mentions: list[Person]
    important: bool
    pinned: bool
    record: RecordLink | None
    record_name: str | None
    document_id: UUID | None = Field(description="the document it was promoted to")
    document_url: str | None
    comment_count: int
    comments: list[CommentPublic] = Field(
        description="the newest (in the feed) or all, oldest first"
    )
    reactions: dict[str, int]
    my_reactions: list[str]
    attachments: list[AttachmentPublic]
    to_confirm: bool = Field(description="the caller is asked to confirm this post")
    confirmations: Confirmed | None = Field(
        description="an important post, for its author and the administrator"
    )
    may_edit: bool
    may_delete: bool
    edited: bool
    created_at: datetime
    edited_at: datetime | None
    updated_at: datetime = Field(
        description="its last change: written, edited, pinned, commented, promoted or deleted"
    )
    deleted_at: datetime | None = Field(
        default=None,
        description="listed only with `updated_since` and `include_archived`: a deleted post, "
        "its text, tags, mentions, comments and attachments withheld",
    )
    url: str

    @classmethod
    def of(cls, view: "PostView", *, me: UUID, admin: bool) -> "PostPublic":
        post = view.post
        names = dict(view.mentioned)
        record = None
        if post.record_kind and post.record_id:
            record = RecordLink(target=post.record_kind, target_id=post.record_id)
        confirmations = None
        if view.confirmed is not None and view.waiting is not None:
            confirmations = Confirmed(confirmed=view.confirmed, waiting=view.waiting)
        mine = post.author_id == me
        return cls(
            id=post.id,
            kind=post.kind,
            author_id=post.author_id,
            author_name=view.author,
            text=post.text,
            tags=list(post.tags),
            audience=list(post.audience),
            mentions=[Person(id=p, name=n) for p, n in names.items()],
            important=post.important,
            pinned=post.pinned_at is not None,
            record=record,
            record_name=view.record_name,
            document_id=post.document_id,
            document_url=f"/knowledge/documents/{post.document_id}" if post.document_id else None,
            comment_count=post.comment_count,
            comments=[CommentPublic.of(said, view.names) for said in view.comments],
            reactions=view.reactions,
            my_reactions=sorted(view.mine),
            attachments=[AttachmentPublic.of(a) for a in view.attachments],
            to_confirm=view.to_confirm,
            confirmations=confirmations,
            may_edit=mine and post.kind == "note",
            may_delete=mine or admin,
            edited=post.revision > 1,
            created_at=post.created_at,
            edited_at=post.edited_at,
            updated_at=post.updated_at,
            url=f"/feed/posts/{post.id}",
        )

    def gone(self, deleted_at: datetime | None) -> "PostPublic":
        """A deleted post as a copy learns of it: that it went, and when; nothing it said."""
        if deleted_at is None:
            return self
        withheld: dict[str, Any] = {
            "text": "",
            "tags": [],
            "mentions": [],
            "comments": [],
            "attachments": [],
            "reactions": {},
            "my_reactions": [],
            "may_edit": False,
            "may_delete": False,
        }
        return self.model_copy(update={**withheld, "deleted_at": deleted_at})


class FeedPage(BaseModel):
    items: list[PostPublic]
    pinned: list[PostPublic] = Field(description="pinned posts, on the first page of the feed")
    next_cursor: str | None


class RevisionPublic(BaseModel):
    number: int
    text: str
    written_by: UUID
    written_at: datetime

    @classmethod
    def of(cls, revision: "PostRevision") -> "RevisionPublic":
        return cls(
            number=revision.number,
            text=revision.text,
            written_by=revision.written_by,
            written_at=revision.written_at,
        )


class PostConfirmation(BaseModel):
    user_id: UUID
    name: str | None
    requested_at: datetime
    acknowledged_at: datetime | None

    @classmethod
    def of(cls, confirmation: "Confirmation") -> "PostConfirmation":
        return cls(
            user_id=confirmation.user_id,
            name=confirmation.name,
            requested_at=confirmation.requested_at,
            acknowledged_at=confirmation.acknowledged_at,
        )


class PostConfirmations(BaseModel):
    confirmed: int
    waiting: int
    people: list[PostConfirmation] = Field(description="those who have not confirmed first")


class Acknowledged(BaseModel):
    post_id: UUID
    acknowledged_at: datetime | None


class Reactions(BaseModel):
    counts: dict[str, int]


class Promoted(BaseModel):
    post_id: UUID
    document_id: UUID
    url: str = Field(description="the document's page in the CRM")


class PostSearchHit(BaseModel):
    kind: Literal["post"] = "post"
    id: UUID
    url: str = Field(description="the post's page in the CRM")
    title: list[Fragment] = Field(description="the post's first line, matched words marked")
    snippet: list[Fragment] = Field(description="text around the matches (the post or comments)")
    score: float
    author_id: UUID
    author_name: str | None
    record: RecordLink | None
    created_at: datetime

    @classmethod
    def of(cls, hit: "PostHit") -> "PostSearchHit":
        row = hit.post
        record = None
        if row.record_kind and row.record_id:
            record = RecordLink(target=row.record_kind, target_id=row.record_id)
        return cls(
            id=row.id,
            url=f"/feed/posts/{row.id}",
            title=Fragment.list_of(hit.title),
            snippet=Fragment.list_of(hit.snippet),
            score=hit.score,
            author_id=row.author_id,
            author_name=row.author,
            record=record,
            created_at=row.created_at,
        )


class PostSearchPage(BaseModel):
    items: list[PostSearchHit]
    next_cursor: str | None
