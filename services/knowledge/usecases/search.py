"""Full-text search over the documents the caller may read: ranked, filtered, with snippets."""

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Float,
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import (
    ARRAY,
    TSQUERY,
    aggregate_order_by,
    distinct_on,
)
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from services.knowledge import language
from services.knowledge.domain.text import (
    PIECE,
    Matcher,
    QueryWord,
    Snippet,
    anchor_bucket,
    fold,
    highlight,
    lead,
    matcher,
    query_words,
    snippet,
    tsquery,
    window_snippet,
)
from services.knowledge.tables import (
    Document,
    DocumentAnchors,
    DocumentSearch,
    Extraction,
    Member,
    TextPiece,
)
from services.knowledge.usecases.access import RIGHTS, rights_of
from shared.auth import Identity
from shared.pagination import decode_cursor, encode_cursor
from shared.reads import ReadPool, Statement
from shared.text import plain_words
from shared.visibility import visibility, visible_by_owner_shape

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

    def updated_range(self) -> tuple[datetime | None, datetime | None]:
        """The dates as moments: from the start of the first day to the end of the last."""
        start = end = None
        if self.updated_from is not None:
            start = datetime.combine(self.updated_from, time(), UTC)
        if self.updated_to is not None:
            end = datetime.combine(self.updated_to + timedelta(days=1), time(), UTC)
        return start, end


def _matching(lemmas: Any, typed: Any) -> Any:
    """Polish lemmas (any document), or English stems (documents written in English)."""
    return cast(lemmas, TSQUERY).op("||")(func.plainto_tsquery(literal_column("'english'"), typed))


def query_of(words: list[QueryWord], typed: str) -> Any:
    """`_matching` for these words, as typed."""
    return _matching(tsquery(words), fold(typed))


# Searches people type again (the next page, the same words again) are lemmatised once.
_PREPARED: "OrderedDict[str, Prepared]" = OrderedDict()
PREPARED_KEPT = 2048


@dataclass(frozen=True)
class Prepared:
    """A typed query as the search asks it: its words' lexemes, the forms to mark, and the
    statement's values (every word must match; a document about any of them ranks first)."""

    words: list[QueryWord]
    pattern: Matcher | None
    values: dict[str, Any]


def prepare(text: str) -> Prepared:
    words = query_words(text, language.query_lexemes)
    lexemes = sorted({lexeme for word in words for lexeme in word.lexemes})
    values = {
        "query": tsquery(words),
        "typed": fold(text),
        "any": " | ".join(tsquery([QueryWord(lexeme, frozenset([lexeme]))]) for lexeme in lexemes),
        "typed_any": " or ".join(fold(word.typed) for word in words),
        "lexemes": lexemes,
        "buckets": [anchor_bucket(lexeme) for lexeme in lexemes],
    }
    return Prepared(words, _marker(words) if words else None, values)


async def prepared(text: str) -> Prepared:
    """`text` lemmatised, in a worker thread the first time (a word typed without diacritics
    may take hundreds of dictionary look-ups), from memory afterwards."""
    found = _PREPARED.get(text)
    if found is None:
        found = await asyncio.to_thread(prepare, text)
        _PREPARED[text] = found
        if len(_PREPARED) > PREPARED_KEPT:
            _PREPARED.popitem(last=False)
    else:
        _PREPARED.move_to_end(text)
    return found


@dataclass(frozen=True)
class Hit:
    document: Any  # a row: id, title, description, folder_id, media_type, kind, owner_id, ...
    score: float
    title: Snippet
    snippet: Snippet | None


@dataclass(frozen=True)
class Found:
    hits: list[Hit]
    next_cursor: str | None


# --- the statement -------------------------------------------------------------------------
#
# One statement per shape (the caller's kind of visibility, the filters given, a cursor or
# not), compiled once; the words, the caller and the filters' values are its parameters.
# The documents about a word (their summary holds it: title, tags, description, the text's
# commonest words) come first by `ts_rank`, read from the document rows the summary's index
# names; then the other matches, the newest first: the narrow search rows the full-text index
# names (`DocumentSearch`), all of them, sorted. Only the page's search rows are joined to their
# documents, and only a window of each text comes back, from the one or two pieces of it
# around where a query word first appears, as the document's anchors say.

SEARCHED = DocumentSearch
# Each query worked out once a search, as a value of its own (a subquery the plan computes
# first): written inline, a generic plan parses the English words again for every row it ranks.
_QUERY = select(
    _matching(bindparam("query", type_=Text), bindparam("typed", type_=Text))
).scalar_subquery()
_ANY = select(
    cast(bindparam("any", type_=Text), TSQUERY).op("||")(
        func.websearch_to_tsquery(literal_column("'english'"), bindparam("typed_any", type_=Text))
    )
).scalar_subquery()
WINDOW = 480  # characters of text around a hit's first match that come back for its snippet
WINDOW_LEAD = 160  # of which before the match
LEAD = 300  # characters of the beginning of a text, when no word of the query is in it


# The part about the words reads documents' own rows (their summary is there), the other part
# the narrow search rows: both hold the folder, owner, when changed and archived.
Row = type[Document] | type[DocumentSearch]


def _readable(row: Row, seen: str) -> ColumnElement[bool]:
    if seen == "all":
        return true()
    people_in = lambda teams: select(Member.id).where(Member.team_id == teams)  # noqa: E731
    return or_(
        row.folder_id.in_(select(RIGHTS.subquery().c.folder_id)),
        and_(row.folder_id.is_(None), visible_by_owner_shape(seen, row.owner_id, people_in)),
    )


def _document_is(row: Row, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """A condition on the document's own columns, for a row of either kind."""
    if row is Document:
        return condition
    return SEARCHED.document_id.in_(select(Document.id).where(condition))


_FILTERS: dict[str, Any] = {
    "folder_id": lambda row: row.folder_id == bindparam("folder_id", type_=PG_UUID()),
    "owner_id": lambda row: row.owner_id == bindparam("owner_id", type_=PG_UUID()),
    "updated_from": lambda row: row.updated_at >= bindparam("updated_from", type_=DateTime(True)),
    "updated_to": lambda row: row.updated_at < bindparam("updated_to", type_=DateTime(True)),
    "page": lambda row: _document_is(row, Document.kind == "page"),
    "media_types": lambda row: _document_is(
        row, Document.media_type == func.any(bindparam("media_types", type_=ARRAY(Text)))
    ),
    "tag": lambda row: _document_is(
        row, Document.tags.contains(bindparam("tag", type_=ARRAY(Text)))
    ),
}


def _kept(row: Row, filters: tuple[str, ...], archived: bool) -> list[ColumnElement[bool]]:
    """The conditions of the filters given (and archived rows left out unless included)."""
    conditions = [_FILTERS[name](row) for name in filters]
    return conditions if archived else [*conditions, row.archived_at.is_(None)]


def _narrowed(
    query: Select[*tuple[Any, ...]], row: Row, seen: str, filters: tuple[str, ...], archived: bool
) -> Select[*tuple[Any, ...]]:
    return query.where(_readable(row, seen), *_kept(row, filters, archived))


def filtered(query: Select[Any], filters: Filters) -> Select[Any]:
    """`query` narrowed to the documents the filters name (archived ones only when included):
    the search's conditions on the documents' own rows, with the values bound here."""
    given = _filter_values(filters)
    kept = _kept(Document, tuple(given), filters.include_archived)
    return query.where(*kept).params(given)


def _after(*key: Any) -> ColumnElement[bool]:
    """The rows after the cursor's, in the order `key` descends by."""
    names = (("after_rank", Float()), ("after_at", DateTime(True)), ("after_id", PG_UUID()))
    start = [bindparam(name, type_=kind) for name, kind in names[-len(key) :]]
    return tuple_(*key) < tuple_(*start)


@cache
def _statement(
    seen: str, filters: tuple[str, ...], archived: bool, words: int, after: str | None
) -> Statement:
    """`after`: None (the first page), `about` or `newest` (the part the cursor's row is in)."""
    # The matches: read from the narrow search rows the full-text index names. With more than
    # one word, every word must match, and both parts need the matches: they are found once.
    found_by_index = select(SEARCHED.document_id, SEARCHED.updated_at).where(
        SEARCHED.search.op("@@")(_QUERY)
    )
    matches = _narrowed(found_by_index, SEARCHED, seen, filters, archived)
    if words > 1:
        match = matches.cte("matching").prefix_with("MATERIALIZED").c
    else:
        match = matches.subquery("matching").c
    # The documents about the words: their summary holds one (few, ranked by `ts_rank`). With
    # one word, a summary holding it is a match (its lexemes are the full vector's); with more,
    # every word must also be in the full vector: the document must be one of the matches.
    is_about = Document.summary.op("@@")(_ANY)
    rank = cast(func.ts_rank(Document.summary, _ANY), Float)
    about = select(Document.id, Document.updated_at, rank.label("rank")).where(is_about)
    if words > 1:
        about = about.where(Document.id.in_(select(match.document_id)))
    about = _narrowed(about, Document, seen, filters, archived)
    if after == "about":
        about = about.where(_after(rank, Document.updated_at, Document.id))
    # The other matches, the newest first: all of them sorted, in one pass over narrow rows.
    # On the first page, those about the words are left out afterwards: if fewer of them than
    # a page, the first part holds them all, and twice a page of the newest still fills the
    # page without them; if more, the first part fills the page. On a later page every one
    # shown before must be left out, by a look-up per match.
    newest = select(
        match.document_id.label("id"), match.updated_at, literal(0.0, Float).label("rank")
    )
    if after is not None:
        newest = newest.where(match.document_id.not_in(select(Document.id).where(is_about)))
    if after == "newest":
        newest = newest.where(_after(match.updated_at, match.document_id))
    limit = bindparam("limit", type_=Integer)
    parts = [
        query.add_columns(literal(part).label("part"))
        .order_by(*(column.desc() for column in order))
        .limit(limit * 2 if part == "newest" and after is None else limit)
        for part, query, order in (
            ("about", about, (rank, Document.updated_at, Document.id)),
            ("newest", newest, (match.updated_at, match.document_id)),
        )
        if after != "newest" or part == "newest"
    ]
    found = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("found")
    if after is None:  # each document once, in the first part it is in ("about" < "newest")
        found = (
            select(found)
            .ext(distinct_on(found.c.id))
            .order_by(found.c.id, found.c.part)
            .subquery("once")
        )
    order = (found.c.part, found.c.rank.desc(), found.c.updated_at.desc(), found.c.id.desc())
    top = select(found).order_by(*order).limit(limit).subquery("page")
    # The first place a word of the query appears: each word looked up in its bucket's row of
    # the hit's anchors, by the row's key (a look-up a word, whatever the plan's guess of their
    # number).
    asked = (
        func.unnest(
            bindparam("lexemes", type_=ARRAY(Text)), bindparam("buckets", type_=ARRAY(Integer))
        )
        .table_valued("lexeme", "bucket")
        .render_derived(with_types=False)
    )
    place = (
        select(cast(DocumentAnchors.anchors.op("->>")(asked.c.lexeme), Integer))
        .where(DocumentAnchors.document_id == top.c.id, DocumentAnchors.bucket == asked.c.bucket)
        .correlate_except(DocumentAnchors)
        .scalar_subquery()
    )
    first = select(func.min(place)).select_from(asked).scalar_subquery()
    hits = (
        select(top, first.label("anchor"), SEARCHED.anchored)
        .join(SEARCHED, SEARCHED.document_id == top.c.id)
        .offset(0)  # kept a subquery: its anchor is worked out once per hit, not per use
        .subquery("hits")
    )
    begin = func.greatest(hits.c.anchor - WINDOW_LEAD, 0)
    low, high = (_over(place, PIECE) for place in (begin, begin + WINDOW - 1))
    window = (
        select(func.string_agg(TextPiece.text, aggregate_order_by(literal(""), TextPiece.number)))
        .where(TextPiece.sha256 == Document.sha256, TextPiece.number.between(low, high))
        .scalar_subquery()
    )
    start = (
        select(func.substr(TextPiece.text, 1, LEAD))
        .where(TextPiece.sha256 == Document.sha256, TextPiece.number == 0)
        .scalar_subquery()
    )
    piece = case(
        (hits.c.anchor.is_not(None), func.substr(window, begin % PIECE + 1, WINDOW)),
        (hits.c.anchored, start),
        else_=select(Extraction.text).where(Extraction.sha256 == Document.sha256).scalar_subquery(),
    )
    return Statement.of(
        select(
            Document.id,
            Document.title,
            Document.description,
            Document.folder_id,
            Document.media_type,
            Document.kind,
            Document.owner_id,
            Document.version,
            hits.c.updated_at,
            hits.c.rank,
            hits.c.part,
            hits.c.anchor,
            hits.c.anchored,
            case((hits.c.anchor.is_not(None), begin), else_=0).label("begin"),
            piece.label("piece"),
        )
        .join(hits, hits.c.id == Document.id)
        .order_by(hits.c.part, hits.c.rank.desc(), hits.c.updated_at.desc(), Document.id.desc())
    )


def _over(number: Any, divisor: int) -> Any:
    """Integer division in SQL (`//` is written as `floor` of a division, and then compares
    as a float: no longer a condition the piece's index can serve)."""
    return number.op("/", precedence=8, return_type=Integer)(divisor)


def _filter_values(filters: Filters) -> dict[str, Any]:
    given: dict[str, Any] = {"folder_id": filters.folder_id, "owner_id": filters.owner_id}
    given["updated_from"], given["updated_to"] = filters.updated_range()
    if filters.type == "page":
        given["page"] = True
    elif filters.type is not None:
        given["media_types"] = list(TYPES.get(filters.type, ()))
    if filters.tag:
        given["tag"] = [filters.tag]
    return {name: value for name, value in given.items() if value is not None}


async def search(
    reads: ReadPool,
    *,
    identity: Identity,
    text: str,
    filters: Filters,
    cursor: str | None,
    limit: int,
) -> Found:
    """The best matches first, `limit` at a time (see the statement above), each with its
    title marked and a snippet of its text around the words found."""
    query = await prepared(text)
    if not query.words:
        return Found([], None)
    seen, params = visibility(identity)
    if seen != "all":
        params.update(rights_of(identity))
    given = _filter_values(filters)
    part = None
    if cursor:
        part, params["after_rank"], params["after_at"], params["after_id"] = decode_cursor(
            cursor, _part, float, datetime.fromisoformat, UUID
        )
    words = min(len(query.words), 2)
    statement = _statement(seen, tuple(given), filters.include_archived, words, part)
    rows = await reads.rows(statement, **query.values, **params, **given, limit=limit + 1)
    page = rows[:limit]
    hits = [_hit(row, pattern=query.pattern) for row in page]
    last = page[-1] if len(rows) > limit else None
    if last is None:
        return Found(hits, None)
    key = (last["part"], last["rank"], last["updated_at"].isoformat(), last["id"])
    return Found(hits, encode_cursor(*key))


def _part(value: Any) -> str:
    if value not in ("about", "newest"):
        raise ValueError(value)
    return str(value)


def _marker(words: list[QueryWord]) -> Matcher | None:
    """A matcher of every form the query's words may take in a text (for marking them)."""
    forms: set[str] = set()
    for word in words:
        forms |= language.query_forms(word.typed)
        forms |= {lexeme for lexeme in word.lexemes if len(lexeme) > 3}
    return matcher(forms)


def _hit(row: Any, *, pattern: Matcher | None) -> Hit:
    """A hit's marked title and snippet: from the window of its text around the first match
    (or the whole text, for a document indexed before texts had anchors)."""
    piece = row["piece"] or ""
    markdown = row["media_type"] == "text/markdown"  # a page of the base: words, not markup
    context: Snippet | None
    if row["anchor"] is not None:
        context = window_snippet(piece, row["begin"] > 0, len(piece) == WINDOW, pattern, markdown)
    else:
        body = plain_words(piece) if markdown else piece
        context = None if row["anchored"] else snippet(body, pattern)
        context = context or snippet(row["description"], pattern)
        if context is None and (body or row["description"]):
            context = lead(body or row["description"])
    return Hit(row, float(row["rank"]), highlight(row["title"], pattern), context)
