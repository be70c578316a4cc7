"""Reading the feed: the reader's posts a page at a time (newest first, the pinned ones on top),
one post, and everything a post shows (comments, reactions, files, who has confirmed). A page
costs the same few queries however many posts there are."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from services.knowledge.domain.access import principal
from services.knowledge.feed_tables import (
    Post,
    PostAcknowledgement,
    PostAttachment,
    PostComment,
    PostReaction,
    Record,
)
from services.knowledge.tables import Member
from services.knowledge.usecases.audience import (
    PostReader,
    RecordRef,
    find_post,
    post_reader,
    readable_posts,
)
from shared.auth import Identity
from shared.db import SessionFactory
from shared.pagination import changes, changes_cursor, encode_cursor, keyset

COMPANY_ZONE = ZoneInfo("Europe/Warsaw")  # a period's days are the company's days
COMMENTS_IN_FEED = 20  # the newest comments a post in the feed shows; its page shows them all
COMMENTS_ON_PAGE = 500
PINNED = 5


@dataclass(frozen=True)
class FeedFilters:
    author_id: UUID | None = None
    team_id: UUID | None = None  # posts addressed to this group
    tag: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    record: RecordRef | None = None

    @property
    def any(self) -> bool:
        return any(value is not None for value in vars(self).values())


def _day(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=COMPANY_ZONE)


def conditions(filters: FeedFilters) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if filters.author_id is not None:
        found.append(Post.author_id == filters.author_id)
    if filters.team_id is not None:
        found.append(Post.audience.contains([principal("team", filters.team_id)]))
    if filters.tag:
        found.append(Post.tags.contains([filters.tag.lower().lstrip("#")]))
    if filters.created_from is not None:
        found.append(Post.created_at >= _day(filters.created_from))
    if filters.created_to is not None:
        found.append(Post.created_at < _day(filters.created_to + timedelta(days=1)))
    if filters.record is not None:
        found += [Post.record_kind == filters.record.kind, Post.record_id == filters.record.id]
    return found


def posts_of(reader: PostReader, *, deleted: bool = False) -> Select[Any]:
    """The caller's posts (deleted ones too, `deleted`), without their search vectors (large,
    of no use to a page)."""
    return select(Post).options(defer(Post.search)).where(readable_posts(reader, deleted=deleted))


@dataclass(frozen=True)
class Said:
    comment: PostComment
    author: str


@dataclass
class PostView:
    """A post with everything a reader sees of it."""

    post: Post
    author: str
    comments: list[Said] = field(default_factory=list)
    reactions: dict[str, int] = field(default_factory=dict)
    mine: set[str] = field(default_factory=set)
    attachments: list[PostAttachment] = field(default_factory=list)
    mentioned: dict[UUID, str] = field(default_factory=dict)
    names: dict[UUID, str] = field(default_factory=dict)  # everyone the comments mention
    record_name: str | None = None
    to_confirm: bool = False
    confirmed: int | None = None  # the author's and the administrator's view of an important one
    waiting: int | None = None


@dataclass(frozen=True)
class FeedPage:
    items: list[PostView]
    pinned: list[PostView]
    next_cursor: str | None


async def feed_page(
    sessions: SessionFactory,
    *,
    identity: Identity,
    filters: FeedFilters,
    cursor: str | None,
    limit: int,
    since: datetime | None = None,
    deleted: bool = False,
) -> FeedPage:
    """The newest posts the caller may read, `limit` at a time; the first page of the whole
    feed also carries the pinned posts. With `since`, the posts changed since (deleted ones
    too, `deleted`), in order of change, without the pinned ones."""
    if since is not None:
        return await _changed_posts(sessions, identity, filters, since, deleted, cursor, limit)
    async with sessions() as session:
        reader = await post_reader(session, identity)
        query = keyset(
            posts_of(reader).where(*conditions(filters)),
            (Post.created_at, Post.id),
            cursor=cursor,
            types=(datetime.fromisoformat, UUID),
            limit=limit,
            descending=True,
        )
        rows = list(await session.scalars(query))
        pinned: list[Post] = []
        if cursor is None and not filters.any:
            pinned = list(
                await session.scalars(
                    posts_of(reader)
                    .where(Post.pinned_at.is_not(None))
                    .order_by(Post.pinned_at.desc())
                    .limit(PINNED)
                )
            )
        page = rows[:limit]
        views = await views_of(session, reader, [*page, *pinned], comments=COMMENTS_IN_FEED)
    last = page[-1] if len(rows) > limit else None
    next_cursor = encode_cursor(last.created_at.isoformat(), last.id) if last else None
    return FeedPage(views[: len(page)], views[len(page) :], next_cursor)


async def _changed_posts(
    sessions: SessionFactory,
    identity: Identity,
    filters: FeedFilters,
    since: datetime,
    deleted: bool,
    cursor: str | None,
    limit: int,
) -> FeedPage:
    async with sessions() as session:
        reader = await post_reader(session, identity)
        query = changes(
            posts_of(reader, deleted=deleted).where(*conditions(filters)),
            Post.updated_at,
            Post.id,
            since=since,
            cursor=cursor,
            limit=limit,
        )
        rows = list(await session.scalars(query))
        page = rows[:limit]
        views = await views_of(session, reader, page, comments=COMMENTS_IN_FEED)
    last = page[-1] if len(rows) > limit else None
    next_cursor = changes_cursor(last.updated_at, last.id) if last else None
    return FeedPage(views, [], next_cursor)


async def post_view(sessions: SessionFactory, *, identity: Identity, post_id: UUID) -> PostView:
    """One post the caller may read, with all its comments (404 otherwise)."""
    async with sessions() as session:
        reader = await post_reader(session, identity)
        post = await find_post(session, reader, post_id)
        [view] = await views_of(session, reader, [post], comments=COMMENTS_ON_PAGE)
    return view


async def views_of(
    session: AsyncSession, reader: PostReader, posts: list[Post], *, comments: int
) -> list[PostView]:
    """What the posts show, read for all of them at once (a query per kind of thing)."""
    ids = list({post.id for post in posts})
    said = await _comments(session, ids, comments)
    reactions, mine = await _reactions(session, ids, reader.user_id)
    attachments = await _attachments(session, ids)
    asked = await _asked(session, ids, reader.user_id)
    counted = await _confirmations(session, [p for p in posts if _sees_confirmations(reader, p)])
    comments_said = [comment for found in said.values() for comment in found]
    people = {post.author_id for post in posts} | {c.author_id for c in comments_said}
    people |= {person for post in posts for person in post.mentions}
    people |= {person for comment in comments_said for person in comment.mentions}
    names = await _names(session, people)
    records = await _record_names(session, {p.record_id for p in posts if p.record_id})
    views = []
    for post in posts:
        confirmed, waiting = counted.get(post.id, (None, None))
        views.append(
            PostView(
                post=post,
                author=names.get(post.author_id, ""),
                comments=[Said(c, names.get(c.author_id, "")) for c in said.get(post.id, [])],
                reactions=reactions.get(post.id, {}),
                mine=mine.get(post.id, set()),
                attachments=attachments.get(post.id, []),
                mentioned={person: names.get(person, "") for person in post.mentions},
                names=names,
                record_name=records.get(post.record_id) if post.record_id else None,
                to_confirm=asked.get(post.id, False),
                confirmed=confirmed,
                waiting=waiting,
            )
        )
    return views


def _sees_confirmations(reader: PostReader, post: Post) -> bool:
    return post.important and (reader.admin or post.author_id == reader.user_id)


async def _comments(
    session: AsyncSession, ids: list[UUID], newest: int
) -> dict[UUID, list[PostComment]]:
    """Each post's newest comments, oldest of them first."""
    if not ids:
        return {}
    place = (
        func.row_number()
        .over(partition_by=PostComment.post_id, order_by=PostComment.created_at.desc())
        .label("place")
    )
    ranked = select(PostComment.id, place).where(PostComment.post_id.in_(ids)).subquery()
    rows = await session.scalars(
        select(PostComment)
        .join(ranked, ranked.c.id == PostComment.id)
        .where(ranked.c.place <= newest)
        .order_by(PostComment.created_at, PostComment.id)
    )
    found: dict[UUID, list[PostComment]] = defaultdict(list)
    for comment in rows:
        found[comment.post_id].append(comment)
    return found


async def _reactions(
    session: AsyncSession, ids: list[UUID], me: UUID
) -> tuple[dict[UUID, dict[str, int]], dict[UUID, set[str]]]:
    counts: dict[UUID, dict[str, int]] = defaultdict(dict)
    mine: dict[UUID, set[str]] = defaultdict(set)
    if not ids:
        return counts, mine
    rows = await session.execute(
        select(
            PostReaction.post_id,
            PostReaction.reaction,
            func.count(),
            func.bool_or(PostReaction.user_id == me),
        )
        .where(PostReaction.post_id.in_(ids))
        .group_by(PostReaction.post_id, PostReaction.reaction)
    )
    for post_id, reaction, count, by_me in rows:
        counts[post_id][reaction] = int(count)
        if by_me:
            mine[post_id].add(reaction)
    return counts, mine


async def _attachments(session: AsyncSession, ids: list[UUID]) -> dict[UUID, list[PostAttachment]]:
    found: dict[UUID, list[PostAttachment]] = defaultdict(list)
    if ids:
        rows = await session.scalars(
            select(PostAttachment)
            .where(PostAttachment.post_id.in_(ids))
            .order_by(PostAttachment.created_at, PostAttachment.id)
        )
        for attachment in rows:
            if attachment.post_id is not None:
                found[attachment.post_id].append(attachment)
    return found


async def _asked(session: AsyncSession, ids: list[UUID], me: UUID) -> dict[UUID, bool]:
    """The posts the caller is asked to confirm and has not yet."""
    if not ids:
        return {}
    rows = await session.scalars(
        select(PostAcknowledgement.post_id).where(
            PostAcknowledgement.post_id.in_(ids),
            PostAcknowledgement.user_id == me,
            PostAcknowledgement.acknowledged_at.is_(None),
        )
    )
    return dict.fromkeys(rows, True)


async def _confirmations(session: AsyncSession, posts: list[Post]) -> dict[UUID, tuple[int, int]]:
    if not posts:
        return {}
    done = func.count(PostAcknowledgement.acknowledged_at)
    rows = await session.execute(
        select(PostAcknowledgement.post_id, done, func.count() - done)
        .where(PostAcknowledgement.post_id.in_([post.id for post in posts]))
        .group_by(PostAcknowledgement.post_id)
    )
    counted = {post_id: (int(yes), int(no)) for post_id, yes, no in rows}
    return {post.id: counted.get(post.id, (0, 0)) for post in posts}


async def _names(session: AsyncSession, people: set[UUID]) -> dict[UUID, str]:
    if not people:
        return {}
    rows = await session.execute(select(Member.id, Member.name).where(Member.id.in_(people)))
    return dict(rows.all())


async def _record_names(session: AsyncSession, ids: set[UUID | None]) -> dict[UUID, str]:
    wanted = [id_ for id_ in ids if id_ is not None]
    if not wanted:
        return {}
    rows = await session.execute(select(Record.id, Record.name).where(Record.id.in_(wanted)))
    return dict(rows.all())


@dataclass(frozen=True)
class Confirmation:
    user_id: UUID
    name: str | None
    requested_at: datetime
    acknowledged_at: datetime | None


async def confirmations(session: AsyncSession, post_id: UUID) -> list[Confirmation]:
    """Who was asked to confirm an important post, those who have not yet first."""
    rows = await session.execute(
        select(PostAcknowledgement, Member.name)
        .outerjoin(Member, Member.id == PostAcknowledgement.user_id)
        .where(PostAcknowledgement.post_id == post_id)
        .order_by(PostAcknowledgement.acknowledged_at.desc().nulls_first(), Member.name)
    )
    return [
        Confirmation(row.user_id, name, row.requested_at, row.acknowledged_at) for row, name in rows
    ]
