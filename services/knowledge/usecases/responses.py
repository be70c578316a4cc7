"""What readers do with a post: comment on it (mentioning people), react to it, confirm an
important one; and the files people attach, uploaded before the post that carries them."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge.domain.posts import REACTIONS
from services.knowledge.feed_tables import (
    PostAcknowledgement,
    PostAttachment,
    PostComment,
    PostReaction,
)
from services.knowledge.storage import ContentStore
from services.knowledge.uploads import Staged
from services.knowledge.usecases.audience import find_post, post_reader
from services.knowledge.usecases.posts import (
    checked_mentions,
    index_post,
    record_link,
    record_of,
    url_of,
)
from shared.auth import Identity
from shared.contracts.knowledge import PostCommented, PostReacted
from shared.db import SessionFactory, unit_of_work
from shared.errors import Conflict, Invalid
from shared.events import new_event
from shared.ids import time_ordered_id
from shared.outbox import add_event
from shared.text import N_


async def add_comment(
    sessions: SessionFactory,
    *,
    identity: Identity,
    post_id: UUID,
    text: str,
    mentions: tuple[UUID, ...],
    now: datetime,
) -> PostComment:
    """A comment by someone who reads the post; the people it mentions may read it too."""
    async with unit_of_work(sessions) as session:
        reader = await post_reader(session, identity)
        post = await find_post(session, reader, post_id, lock=True)
        mentioned = await checked_mentions(session, list(post.audience), record_of(post), mentions)
        comment = PostComment(
            id=time_ordered_id(),
            post_id=post.id,
            author_id=reader.user_id,
            text=text,
            mentions=mentioned,
            created_at=now,
        )
        session.add(comment)
        post.comment_count += 1
        post.updated_at = now
        await session.flush()
        await index_post(session, post)
        event = PostCommented(
            post_id=post.id,
            comment_id=comment.id,
            author_id=reader.user_id,
            post_author_id=post.author_id,
            text=text,
            mentioned_ids=mentioned,
            audience=list(post.audience),
            record=record_link(post),
            created_at=now,
            url=url_of(post.id),
        )
        await add_event(session, new_event(event, subject=post.id))
    return comment


async def reaction_counts(session: AsyncSession, post_id: UUID) -> dict[str, int]:
    rows = await session.execute(
        select(PostReaction.reaction, func.count())
        .where(PostReaction.post_id == post_id)
        .group_by(PostReaction.reaction)
    )
    return {reaction: int(count) for reaction, count in rows}


async def react(
    sessions: SessionFactory,
    *,
    identity: Identity,
    post_id: UUID,
    reaction: str,
    add: bool,
    now: datetime,
) -> dict[str, int]:
    """Add a reaction (again: nothing changes) or take it back; the post's counts after it."""
    if reaction not in REACTIONS:
        raise Invalid({"reaction": N_("not a reaction")})
    async with unit_of_work(sessions) as session:
        reader = await post_reader(session, identity)
        post = await find_post(session, reader, post_id)
        mine = (PostReaction.post_id == post.id, PostReaction.user_id == reader.user_id)
        statement: Any
        if add:
            statement = (
                insert(PostReaction)
                .values(post_id=post.id, user_id=reader.user_id, reaction=reaction, created_at=now)
                .on_conflict_do_nothing()
                .returning(PostReaction.post_id)
            )
        else:
            statement = (
                delete(PostReaction)
                .where(*mine, PostReaction.reaction == reaction)
                .returning(PostReaction.post_id)
            )
        changed = await session.scalar(statement) is not None
        counts = await reaction_counts(session, post.id)
        if changed:
            event = PostReacted(
                post_id=post.id,
                post_author_id=post.author_id,
                user_id=reader.user_id,
                reaction=reaction,
                added=add,
                counts=counts,
                audience=list(post.audience),
                record=record_link(post),
            )
            await add_event(session, new_event(event, subject=post.id))
    return counts


async def acknowledge(
    sessions: SessionFactory, *, identity: Identity, post_id: UUID, now: datetime
) -> PostAcknowledgement:
    """ "I have read it": a reader asked to confirm an important post confirms it (once)."""
    async with unit_of_work(sessions) as session:
        reader = await post_reader(session, identity)
        post = await find_post(session, reader, post_id)
        asked = await session.get(
            PostAcknowledgement, (post.id, reader.user_id), with_for_update=True
        )
        if asked is None:
            raise Conflict({"post": N_("nobody asked you to confirm this post")})
        if asked.acknowledged_at is None:
            asked.acknowledged_at = now
        return asked


async def upload_attachment(
    sessions: SessionFactory,
    store: ContentStore,
    *,
    identity: Identity,
    content: Staged,
    now: datetime,
) -> PostAttachment:
    """Keep a file for a post the uploader is about to write (content kept by hash, once)."""
    await store.put(content.sha256, content.size, content.chunks())
    async with unit_of_work(sessions) as session:
        attachment = PostAttachment(
            id=time_ordered_id(),
            post_id=None,
            uploaded_by=UUID(identity.user_id),
            sha256=content.sha256,
            size=content.size,
            media_type=content.media_type,
            file_name=content.file_name,
            created_at=now,
        )
        session.add(attachment)
    return attachment
