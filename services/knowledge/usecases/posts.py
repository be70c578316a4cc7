"""Posts of the feed: written (with mentions and attachments), edited with their history,
pinned, deleted; every change announced in the same transaction."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge.domain.access import EVERYONE
from services.knowledge.domain.posts import tags_of
from services.knowledge.domain.text import Field
from services.knowledge.feed_tables import (
    Post,
    PostAcknowledgement,
    PostAttachment,
    PostComment,
    PostRevision,
)
from services.knowledge.usecases.audience import (
    PostReader,
    RecordRef,
    audience_members,
    checked_record,
    find_post,
    post_reader,
)
from services.knowledge.usecases.indexing import vectors_of
from shared.auth import Identity
from shared.contracts.knowledge import PostCreated, PostDeleted, PostEdited
from shared.db import SessionFactory, unit_of_work
from shared.errors import Forbidden, Invalid
from shared.events import new_event
from shared.ids import time_ordered_id
from shared.outbox import add_event
from shared.text import N_


@dataclass(frozen=True)
class Draft:
    """What a person writes: the text and who reads it, perhaps on a record, perhaps important."""

    text: str
    audience: tuple[str, ...] = (EVERYONE,)
    important: bool = False
    record: RecordRef | None = None
    mentions: tuple[UUID, ...] = ()
    attachment_ids: tuple[UUID, ...] = ()


@dataclass(frozen=True)
class PostChanges:
    """What a change sends; what is None stays as it was."""

    text: str | None = None
    audience: tuple[str, ...] | None = None
    important: bool | None = None
    pinned: bool | None = None
    mentions: tuple[UUID, ...] | None = None


def url_of(post_id: UUID) -> str:
    return f"/feed/posts/{post_id}"


def record_of(post: Post) -> RecordRef | None:
    if post.record_kind is None or post.record_id is None:
        return None
    return RecordRef(post.record_kind, post.record_id)


def record_link(post: Post) -> dict[str, Any] | None:
    record = record_of(post)
    return {"target": record.kind, "target_id": record.id} if record else None


async def snapshot(session: AsyncSession, post: Post) -> dict[str, Any]:
    attached = await session.scalar(select(func.count()).where(PostAttachment.post_id == post.id))
    return snapshot_of(post, int(attached or 0))


def snapshot_of(post: Post, attachments: int) -> dict[str, Any]:
    """What every post event carries, for a post with `attachments` files."""
    return {
        "post_id": post.id,
        "author_id": post.author_id,
        "kind": post.kind,
        "text": post.text,
        "tags": list(post.tags),
        "audience": list(post.audience),
        "important": post.important,
        "pinned": post.pinned_at is not None,
        "record": record_link(post),
        "mentioned_ids": list(post.mentions),
        "attachments": attachments,
        "document_id": post.document_id,
        "created_at": post.created_at,
        "edited_at": post.edited_at,
        "url": url_of(post.id),
    }


async def index_post(session: AsyncSession, post: Post) -> None:
    """Tags weigh most, then the text, then the comments: all found by their Polish lemmas."""
    comments = await session.scalars(
        select(PostComment.text)
        .where(PostComment.post_id == post.id)
        .order_by(PostComment.created_at)
    )
    fields = [
        Field(" ".join(post.tags), "A"),
        Field(post.text, "B"),
        Field("\n".join(comments), "D"),
    ]
    indexed = await vectors_of(fields)
    post.language, post.search = indexed.language, indexed.search


async def checked_mentions(
    session: AsyncSession, audience: list[str], record: RecordRef | None, mentions: tuple[UUID, ...]
) -> list[UUID]:
    """The people mentioned, each once; 422 when one may not read the post."""
    if not mentions:
        return []
    members = await audience_members(session, audience=audience, record=record, administrators=True)
    allowed = {member.id for member in members}
    if any(person not in allowed for person in mentions):
        raise Invalid({"mentions": N_("mention only people who may read the post")})
    return list(dict.fromkeys(mentions))


async def ask_to_confirm(session: AsyncSession, post: Post, now: datetime) -> list[UUID]:
    """An important post: its readers (not its author) are asked to confirm it, once each."""
    members = await audience_members(session, audience=list(post.audience), record=record_of(post))
    wanted = [member.id for member in members if member.id != post.author_id]
    if not wanted:
        return []
    asked = await session.scalars(
        insert(PostAcknowledgement)
        .values([{"post_id": post.id, "user_id": user, "requested_at": now} for user in wanted])
        .on_conflict_do_nothing()
        .returning(PostAcknowledgement.user_id)
    )
    return list(asked)


@dataclass(frozen=True)
class NewPost:
    """A post to write, checked already: by a person, or made from an event."""

    author_id: UUID
    kind: str
    text: str
    audience: list[str]
    record: RecordRef | None = None
    important: bool = False
    mentions: list[UUID] | None = None
    automatic_key: str | None = None
    facts: dict[str, Any] | None = None


async def insert_post(
    session: AsyncSession,
    new: NewPost,
    *,
    now: datetime,
    attachments: list[PostAttachment] | None = None,
) -> Post:
    """Write the post, index it, ask its readers to confirm it when important, announce it."""
    post = Post(
        id=time_ordered_id(),
        kind=new.kind,
        author_id=new.author_id,
        text=new.text,
        tags=tags_of(new.text),
        audience=sorted(set(new.audience)),
        mentions=list(new.mentions or []),
        important=new.important,
        record_kind=new.record.kind if new.record else None,
        record_id=new.record.id if new.record else None,
        comment_count=0,
        revision=1,
        automatic_key=new.automatic_key,
        facts=new.facts or {},
        created_at=now,
        updated_at=now,
    )
    session.add(post)
    await session.flush()
    for attachment in attachments or []:
        attachment.post_id = post.id
    await index_post(session, post)
    asked = await ask_to_confirm(session, post, now) if post.important else []
    event = PostCreated(**await snapshot(session, post), asked_ids=asked)
    await add_event(session, new_event(event, subject=post.id))
    return post


async def _claimed(
    session: AsyncSession, reader: PostReader, ids: tuple[UUID, ...]
) -> list[PostAttachment]:
    if not ids:
        return []
    rows = list(
        await session.scalars(
            select(PostAttachment)
            .where(
                PostAttachment.id.in_(ids),
                PostAttachment.uploaded_by == reader.user_id,
                PostAttachment.post_id.is_(None),
            )
            .with_for_update()
        )
    )
    if len(rows) != len(set(ids)):
        raise Invalid({"attachment_ids": N_("attach files you uploaded and have not attached")})
    return rows


async def create_post(
    sessions: SessionFactory, *, identity: Identity, draft: Draft, now: datetime
) -> Post:
    """A person's post: the record is one they may see, the people mentioned may read it."""
    async with unit_of_work(sessions) as session:
        reader = await post_reader(session, identity)
        if draft.record is not None:
            await checked_record(session, reader, draft.record)
        audience = sorted(set(draft.audience))
        mentions = await checked_mentions(session, audience, draft.record, draft.mentions)
        attachments = await _claimed(session, reader, draft.attachment_ids)
        new = NewPost(
            author_id=reader.user_id,
            kind="note",
            text=draft.text,
            audience=audience,
            record=draft.record,
            important=draft.important,
            mentions=mentions,
        )
        return await insert_post(session, new, now=now, attachments=attachments)


def _may_change(reader: PostReader, post: Post, changes: PostChanges) -> None:
    writes = (changes.text, changes.audience, changes.important, changes.mentions)
    author = post.author_id == reader.user_id
    if changes.pinned is not None and not (author or reader.admin):
        raise Forbidden("only the author or an administrator pins a post")
    if any(value is not None for value in writes):
        if not author:
            raise Forbidden("only the author changes a post")
        if post.kind != "note":
            raise Invalid({"post": N_("an automatic post cannot be changed")})


def _rewrite(session: AsyncSession, post: Post, text: str, now: datetime) -> None:
    """The text so far goes to the history; the new one counts from now."""
    session.add(
        PostRevision(
            post_id=post.id,
            number=post.revision,
            text=post.text,
            written_by=post.author_id,
            written_at=post.edited_at or post.created_at,
        )
    )
    post.revision += 1
    post.text, post.tags = text, tags_of(text)
    post.edited_at = post.updated_at = now


async def edit_post(
    sessions: SessionFactory,
    *,
    identity: Identity,
    post_id: UUID,
    changes: PostChanges,
    now: datetime,
) -> Post:
    """The author changes the text (kept in the history), audience, mentions or importance; the
    author or an administrator pins it."""
    async with unit_of_work(sessions) as session:
        reader = await post_reader(session, identity)
        post = await find_post(session, reader, post_id, lock=True)
        _may_change(reader, post, changes)
        if changes.text is not None and changes.text != post.text:
            _rewrite(session, post, changes.text, now)
        if changes.audience is not None:
            post.audience = sorted(set(changes.audience))
        new_mentions: list[UUID] = []
        if changes.mentions is not None:
            mentions = await checked_mentions(
                session, list(post.audience), record_of(post), changes.mentions
            )
            new_mentions = [person for person in mentions if person not in post.mentions]
            post.mentions = mentions
        if changes.pinned is not None:
            post.pinned_at = (post.pinned_at or now) if changes.pinned else None
        asked: list[UUID] = []
        if changes.important is not None:
            post.important = changes.important
            await session.flush()
            asked = await ask_to_confirm(session, post, now) if post.important else []
        post.updated_at = now
        await index_post(session, post)
        event = PostEdited(
            **await snapshot(session, post),
            edited_by=reader.user_id,
            new_mention_ids=new_mentions,
            asked_ids=asked,
        )
        await add_event(session, new_event(event, subject=post.id))
    return post


async def delete_post(
    sessions: SessionFactory, *, identity: Identity, post_id: UUID, now: datetime
) -> None:
    """Its author or an administrator deletes a post: gone from the feed, threads and search."""
    async with unit_of_work(sessions) as session:
        reader = await post_reader(session, identity)
        post = await find_post(session, reader, post_id, lock=True)
        if post.author_id != reader.user_id and not reader.admin:
            raise Forbidden("only the author or an administrator deletes a post")
        post.deleted_at, post.deleted_by, post.updated_at = now, reader.user_id, now
        event = PostDeleted(
            post_id=post.id,
            author_id=post.author_id,
            deleted_by=reader.user_id,
            deleted_at=now,
            audience=list(post.audience),
            record=record_link(post),
        )
        await add_event(session, new_event(event, subject=post.id))


async def revisions_of(session: AsyncSession, post_id: UUID) -> list[PostRevision]:
    rows = await session.scalars(
        select(PostRevision)
        .where(PostRevision.post_id == post_id)
        .order_by(PostRevision.number.desc())
    )
    return list(rows)
