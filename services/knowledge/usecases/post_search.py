"""Full-text search over the posts the caller may read and their comments: the same Polish
search as the documents' (inflected forms, no diacritics needed), ranked, with snippets."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Float, cast, func, select

from services.knowledge.domain.text import Snippet, highlight, lead, snippet
from services.knowledge.feed_tables import Post, PostComment
from services.knowledge.tables import Member
from services.knowledge.usecases.audience import post_reader, readable_posts
from services.knowledge.usecases.feed import FeedFilters, conditions
from services.knowledge.usecases.search import prepared, query_of
from shared.auth import Identity
from shared.db import SessionFactory
from shared.pagination import decode_cursor, encode_cursor, keyset
from shared.text import first_line, plain_words


@dataclass(frozen=True)
class PostHit:
    post: Any  # a row: id, author_id, text, created_at, record_kind, record_id, author, said
    score: float
    title: Snippet
    snippet: Snippet | None


KEY = (float, datetime.fromisoformat, UUID)  # a page's last post: its rank, when, its id


@dataclass(frozen=True)
class FoundPosts:
    hits: list[PostHit]
    next_cursor: str | None


async def search_posts(
    sessions: SessionFactory,
    *,
    identity: Identity,
    text: str,
    filters: FeedFilters,
    cursor: str | None,
    limit: int,
) -> FoundPosts:
    """The posts whose tags, text or comments hold every word, best first (the newest among
    equals), `limit` at a time."""
    query = await prepared(text)
    if not query.words:
        if cursor:  # refused as it is with words
            decode_cursor(cursor, *KEY)
        return FoundPosts([], None)
    # Worked out once a search, as a value of its own (a subquery the plan computes first):
    # written inline, a generic plan parses the English words again for every post it ranks
    # (three times the statement's time for a word in 5,000 rows).
    tsq = select(query_of(query.words, text)).scalar_subquery()
    rank = cast(func.ts_rank(Post.search, tsq), Float)
    async with sessions() as session:  # the app's search sessions
        reader = await post_reader(session, identity)
        matches = select(Post.id, rank.label("rank"), Post.created_at).where(
            Post.search.op("@@")(tsq), readable_posts(reader), *conditions(filters)
        )
        top = keyset(
            matches,
            (rank, Post.created_at, Post.id),
            cursor=cursor,
            types=KEY,
            limit=limit,
            descending=True,
        ).subquery()
        said = (
            select(func.string_agg(PostComment.text, "\n"))
            .where(PostComment.post_id == Post.id)
            .scalar_subquery()
        )
        rows = (
            await session.execute(
                select(
                    Post.id,
                    Post.author_id,
                    Post.text,
                    Post.created_at,
                    Post.record_kind,
                    Post.record_id,
                    Member.name.label("author"),
                    said.label("said"),
                    top.c.rank,
                )
                .join(top, top.c.id == Post.id)
                .outerjoin(Member, Member.id == Post.author_id)
                .order_by(top.c.rank.desc(), top.c.created_at.desc(), top.c.id.desc())
            )
        ).all()
    pattern = query.pattern
    page = rows[:limit]
    last = page[-1] if len(rows) > limit else None
    cursor_out = encode_cursor(last.rank, last.created_at.isoformat(), last.id) if last else None
    return FoundPosts([_hit(row, pattern) for row in page], cursor_out)


def _hit(row: Any, pattern: Any) -> PostHit:
    text = plain_words(row.text)
    context = snippet(text, pattern) or snippet(row.said or "", pattern) or lead(text)
    return PostHit(row, float(row.rank), highlight(first_line(row.text) or "…", pattern), context)
