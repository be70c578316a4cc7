"""Full-text search over the documents the caller may read: ranked, filtered, with snippets."""

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Float, Select, cast, func, select
from sqlalchemy.dialects.postgresql import TSQUERY

from services.knowledge import language
from services.knowledge.domain.text import (
    Matcher,
    QueryWord,
    Snippet,
    fold,
    highlight,
    lead,
    matcher,
    query_words,
    snippet,
    tsquery,
)
from services.knowledge.tables import Document, Extraction
from services.knowledge.usecases.access import readable_by
from shared.auth import Identity
from shared.db import SessionFactory
from shared.pagination import encode_cursor, keyset
from shared.text import plain_words

# What a person means by a type of document, as media types.
TYPES: dict[str, tuple[str, ...]] = {
    "pdf": ("application/pdf",),
    "text_document": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.oasis.opendocument.text",
        "application/msword",
    ),
    "spreadsheet": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.ms-excel",
    ),
    "presentation": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.presentation",
    ),
    "image": ("image/png", "image/jpeg", "image/gif", "image/webp", "image/tiff", "image/bmp"),
    "text": ("text/plain", "text/csv", "text/markdown"),
}


@dataclass(frozen=True)
class Filters:
    folder_id: UUID | None = None
    type: str | None = None  # a key of TYPES, or `page`
    tag: str | None = None
    owner_id: UUID | None = None
    updated_from: date | None = None
    updated_to: date | None = None
    include_archived: bool = False


def filtered(query: Select[Any], filters: Filters) -> Select[Any]:
    """`query` narrowed to the documents the filters name (archived ones only when included)."""
    conditions: list[ColumnElement[bool]] = (
        [] if filters.include_archived else [Document.archived_at.is_(None)]
    )
    if filters.folder_id is not None:
        conditions.append(Document.folder_id == filters.folder_id)
    if filters.type == "page":
        conditions.append(Document.kind == "page")
    elif filters.type is not None:
        conditions.append(Document.media_type.in_(TYPES.get(filters.type, ())))
    if filters.tag:
        conditions.append(Document.tags.contains([filters.tag]))
    if filters.owner_id is not None:
        conditions.append(Document.owner_id == filters.owner_id)
    if filters.updated_from is not None:
        conditions.append(Document.updated_at >= datetime.combine(filters.updated_from, time()))
    if filters.updated_to is not None:
        end = datetime.combine(filters.updated_to + timedelta(days=1), time())
        conditions.append(Document.updated_at < end)
    return query.where(*conditions)


# What a hit shows of its document (never the vectors: they are large and of no use here).
SHOWN = (
    Document.id,
    Document.title,
    Document.description,
    Document.folder_id,
    Document.media_type,
    Document.kind,
    Document.owner_id,
    Document.version,
    Document.updated_at,
)


@dataclass(frozen=True)
class Hit:
    document: Any  # a row with the columns in SHOWN
    score: float
    title: Snippet
    snippet: Snippet | None


@dataclass(frozen=True)
class Found:
    hits: list[Hit]
    next_cursor: str | None


def query_of(words: list[QueryWord], typed: str) -> Any:
    """Polish lemmas (any document), or English stems (documents written in English)."""
    polish = cast(tsquery(words), TSQUERY)
    return polish.op("||")(func.plainto_tsquery("english", fold(typed)))


# Searches people type again (the next page, the same words again) are lemmatised once.
_PREPARED: "OrderedDict[str, Prepared]" = OrderedDict()
PREPARED_KEPT = 2048


@dataclass(frozen=True)
class Prepared:
    """A typed query as the search asks it: its words' lexemes, and the forms to mark."""

    words: list[QueryWord]
    pattern: Matcher | None


def _prepare(text: str) -> Prepared:
    words = query_words(text, language.query_lexemes)
    return Prepared(words, _marker(words) if words else None)


async def prepared(text: str) -> Prepared:
    """`text` lemmatised, in a worker thread the first time (a word typed without diacritics
    may take hundreds of dictionary look-ups), from memory afterwards."""
    found = _PREPARED.get(text)
    if found is None:
        found = await asyncio.to_thread(_prepare, text)
        _PREPARED[text] = found
        if len(_PREPARED) > PREPARED_KEPT:
            _PREPARED.popitem(last=False)
    else:
        _PREPARED.move_to_end(text)
    return found


async def search(
    sessions: SessionFactory,
    *,
    identity: Identity,
    text: str,
    filters: Filters,
    cursor: str | None,
    limit: int,
) -> Found:
    """The best matches first, `limit` at a time: ranked by `ts_rank` over each document's
    summary (title and tags weigh most, then the description, then the text's commonest
    words), the newest first among equals. One statement: the caller's rights, the matches,
    the page of hits with the text their snippets come from."""
    query = await prepared(text)
    if not query.words:
        return Found([], None)
    tsq = query_of(query.words, text)
    rank = cast(func.ts_rank(Document.summary, tsq), Float)
    matches = filtered(select(Document.id, rank.label("rank")), filters).where(
        Document.search.op("@@")(tsq), readable_by(identity)
    )
    top = keyset(
        matches.add_columns(Document.updated_at),
        (rank, Document.updated_at, Document.id),
        cursor=cursor,
        types=(float, datetime.fromisoformat, UUID),
        limit=limit,
        descending=True,
    ).subquery()
    async with sessions() as session:  # the app's search sessions (see `app.search_engine`)
        rows = (
            await session.execute(
                select(*SHOWN, Extraction.text, top.c.rank)
                .join(top, top.c.id == Document.id)
                .outerjoin(Extraction, Extraction.sha256 == Document.sha256)
                .order_by(top.c.rank.desc(), top.c.updated_at.desc(), top.c.id.desc())
            )
        ).all()
    page = rows[:limit]
    hits = [_hit(row, pattern=query.pattern) for row in page]
    last = page[-1] if len(rows) > limit else None
    next_cursor = encode_cursor(last.rank, last.updated_at.isoformat(), last.id) if last else None
    return Found(hits, next_cursor)


def _marker(words: list[QueryWord]) -> Matcher | None:
    """A matcher of every form the query's words may take in a text (for marking them)."""
    forms: set[str] = set()
    for word in words:
        forms |= language.query_forms(word.typed)
        forms |= {lexeme for lexeme in word.lexemes if len(lexeme) > 3}
    return matcher(forms)


def _hit(row: Any, *, pattern: Matcher | None) -> Hit:
    body = row.text or ""
    if row.media_type == "text/markdown":  # a page of the base: its words, not its markup
        body = plain_words(body)
    context = snippet(body, pattern) or snippet(row.description, pattern)
    if context is None and (body or row.description):
        context = lead(body or row.description)
    return Hit(row, float(row.rank), highlight(row.title, pattern), context)
