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
    CompoundSelect,
    DateTime,
    Float,
    Integer,
    Select,
    Text,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
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
from services.knowledge.usecases.access import RIGHTS, filed_or_owned, rights_of
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
# commonest words) come first by `ts_rank`; then the other matches, the newest first (for a
# word on its own, looked for among the documents changed lately first, by the marks of when
# each was changed, and among them all only when too few of those match). Both parts read the
# search rows (`DocumentSearch`: a document's vectors, folder, owner and dates) the one
# full-text index over their vectors names. Only the page's rows
# are joined to their documents, and only a window of each text comes back, from the one or
# two pieces of it around where a query word first appears, as the document's anchors say.

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
# A part's first look is confined to the documents changed since this many changes ago for
# each row it needs (a parameter, `recent_share`): a word in one of that many documents a
# reader may read fills the part from them alone.
RECENT_SHARE = 25
_NEWEST = select(func.max(Document.updated_at)).scalar_subquery()


def _recent(wanted: Any) -> Any:
    """The marks of every moment since the change `recent_share` x `wanted` changes ago. The
    moments are read from the documents' index by date: the search rows have none, or a plan
    could walk them by date testing each one's vector."""
    since = (
        select(Document.updated_at)
        .order_by(Document.updated_at.desc())
        .offset(bindparam("recent_share", type_=Integer) * wanted)
        .limit(1)
        .scalar_subquery()
    )
    return select(func.recency_cover(since, _NEWEST, type_=TSQUERY)).scalar_subquery()


WINDOW = 480  # characters of text around a hit's first match that come back for its snippet
WINDOW_LEAD = 160  # of which before the match
LEAD = 300  # characters of the beginning of a text, when no word of the query is in it


# The filters are conditions on a search row, or on a document's own row (the list of
# documents): both hold the folder, owner, when changed and archived.
Row = type[Document] | type[DocumentSearch]


def _readable(seen: str) -> ColumnElement[bool]:
    if seen == "all":
        return true()
    people_in = lambda teams: select(Member.id).where(Member.team_id == teams)  # noqa: E731
    in_folders = SEARCHED.folder_id.in_(select(RIGHTS.subquery().c.folder_id))
    by_owner = lambda owner: visible_by_owner_shape(seen, owner, people_in)  # noqa: E731
    return filed_or_owned(SEARCHED, in_folders, by_owner)


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
    query: Select[*tuple[Any, ...]], seen: str, filters: tuple[str, ...], archived: bool
) -> Select[*tuple[Any, ...]]:
    """Search rows `query` reads narrowed to those the caller may read and the filters keep."""
    return query.where(_readable(seen), *_kept(SEARCHED, filters, archived))


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
    limit = bindparam("limit", type_=Integer)

    def part(*conditions: ColumnElement[bool], rank: Any = None) -> Select[Any]:
        score = literal(0.0, Float) if rank is None else rank
        found = select(SEARCHED.document_id.label("id"), SEARCHED.updated_at, SEARCHED.anchored)
        found = found.add_columns(score.label("rank")).where(*conditions)
        return _narrowed(found, seen, filters, archived)

    # Every condition on words or marks is on a search row, and one full-text index holds the
    # three vectors: the conditions of a part are one look-up in it, and the look-up of the
    # part about the words is short, the summaries' entries being few.
    matches = SEARCHED.search.bool_op("@@")(_QUERY)
    is_about = SEARCHED.summary.bool_op("@@")(_ANY)
    rank = cast(func.ts_rank(SEARCHED.summary, _ANY), Float)
    # The documents about the words: their summary holds one (few, ranked by `ts_rank`). With
    # one word, a summary holding it is a match (its lexemes are the full vector's); with
    # more, the document must match every word too.
    about = part(is_about, *([matches] if words > 1 else []), rank=rank)
    if after == "about":
        about = about.where(_after(rank, SEARCHED.updated_at, SEARCHED.document_id))
    about = about.order_by(rank.desc(), SEARCHED.updated_at.desc(), SEARCHED.document_id.desc())
    # The other matches, the newest first. On the first page, those about the words are left
    # out afterwards: if fewer of them than a page, the first part holds them all, and twice a
    # page of the newest still fills the page without them; if more, the first part fills the
    # page. On a later page every one shown before is left out by its summary.
    others: list[ColumnElement[bool]] = [matches]
    if after is not None:
        others.append(~is_about)
    if after == "newest":
        others.append(_after(SEARCHED.updated_at, SEARCHED.document_id))
    wanted = limit * 2 if after is None else limit
    newest_first = (SEARCHED.updated_at.desc(), SEARCHED.document_id.desc())
    newest: Select[Any] | CompoundSelect[Any] = part(*others).order_by(*newest_first).limit(wanted)
    if words == 1 and after != "newest":
        # First among the documents changed lately (a look-up of the index with their marks):
        # if enough of them match, none changed before could come first; else all matches.
        # (Every word of several in one document is rarer: the first look would seldom hold
        # enough, and a second look-up reads each word's large entries in the index again.)
        recent = (
            part(*others, SEARCHED.recency.bool_op("@@")(_recent(wanted)))
            .order_by(*newest_first)
            .limit(wanted)
            .cte("recent")
            .prefix_with("MATERIALIZED")
        )
        enough = select(func.count()).select_from(recent).scalar_subquery() >= wanted
        every = newest.subquery("every")
        newest = union_all(select(recent).where(enough), select(every).where(~enough))
    parts = [
        select(query.subquery()).add_columns(literal(name).label("part"))
        for name, query in (("about", about.limit(limit)), ("newest", newest))
        if after != "newest" or name == "newest"
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
    # The first place a word of the query appears: the rows of the hit's anchors whose
    # buckets hold the query's words, read by their key in one scan, each word looked up in
    # its bucket's row.
    buckets = bindparam("buckets", type_=ARRAY(Integer))
    asked = (
        func.unnest(bindparam("lexemes", type_=ARRAY(Text)), buckets)
        .table_valued("lexeme", "bucket")
        .render_derived(with_types=False)
    )
    first = (
        select(func.min(cast(DocumentAnchors.anchors.op("->>")(asked.c.lexeme), Integer)))
        .select_from(DocumentAnchors)
        .join(asked, DocumentAnchors.bucket == asked.c.bucket)
        .where(DocumentAnchors.document_id == top.c.id, DocumentAnchors.bucket == func.any(buckets))
        .correlate_except(DocumentAnchors)
        .scalar_subquery()
    )
    hits = (
        select(top, first.label("anchor"))
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
    after = decode_cursor(cursor, _part, float, datetime.fromisoformat, UUID) if cursor else None
    query = await prepared(text)
    if not query.words:
        return Found([], None)
    seen, params = visibility(identity)
    if seen != "all":
        params.update(rights_of(identity))
    given = _filter_values(filters)
    part = None
    if after:
        part, params["after_rank"], params["after_at"], params["after_id"] = after
    words = min(len(query.words), 2)
    statement = _statement(seen, tuple(given), filters.include_archived, words, part)
    rows = await reads.rows(
        statement, **query.values, **params, **given, limit=limit + 1, recent_share=RECENT_SHARE
    )
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
