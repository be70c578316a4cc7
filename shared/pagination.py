"""Keyset pagination: an opaque cursor holding the sort key of the last row a client has seen."""

import base64
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import HTTPException, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, true, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from shared.schemas import Moment

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=200, description="rows per page")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end"
    )


def encode_cursor(*key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, default=str).encode()).decode()


def decode_cursor(cursor: str, *types: Callable[[Any], Any]) -> tuple[Any, ...]:
    """The sort key inside a cursor, each part read by its type; 422 naming `cursor` if not ours."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if isinstance(key, list) and len(key) == len(types):
            return tuple(read(part) for read, part in zip(types, key, strict=True))
    except (ValueError, TypeError):
        pass
    raise HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        [{"loc": ["query", "cursor"], "msg": "not a cursor from this list", "type": "value_error"}],
    )


def keyset(
    query: Select[Any],
    columns: Sequence[ColumnElement[Any] | InstrumentedAttribute[Any]],
    *,
    cursor: str | None,
    types: Sequence[Callable[[Any], Any]],
    limit: int,
    descending: bool = False,
    named: str | None = None,
) -> Select[Any]:
    """`query` ordered by `columns`, starting after the cursor's key, one row more than a page.
    A list with more than one order names the others (`named`, as `page_of` does)."""
    order = [column.desc() for column in columns] if descending else list(columns)
    query = query.order_by(*order).limit(limit + 1)
    if cursor:
        if named is None:
            after = decode_cursor(cursor, *types)
        else:
            after = decode_cursor(cursor, order_named(named), *types)[1:]
        key = tuple_(*columns)
        query = query.where(key < after if descending else key > after)
    return query


def page_of(
    rows: Sequence[T],
    limit: int,
    key: Callable[[T], tuple[Any, ...]],
    named: str | None = None,
) -> Page[T]:
    """A page from up to `limit + 1` rows: the extra row only says that another page exists."""
    items = list(rows[:limit])
    more = len(rows) > limit
    named_key = () if named is None else (named,)
    cursor = encode_cursor(*named_key, *key(items[-1])) if more else None
    return Page(items=items, next_cursor=cursor)


# Incremental sync: a system keeping a copy asks for what changed since it last looked.
UpdatedSince = Annotated[
    Moment | None,
    Query(
        description="only records changed at or after this instant (RFC 3339 with its offset); "
        "the list is then in order of change (`updated_at`, then `id`) and each record changed "
        "since is on exactly one page. Start the next sync from the newest `updated_at` seen "
        "(minus a few seconds: changes committing at that moment may show up late)."
    ),
]
IncludeArchived = Annotated[
    bool,
    Query(
        description="true: the archived records too, with their `archived_at` (a copy learns "
        "what was archived)"
    ),
]


def read_time(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def archived_condition(
    archived_at: Any, *, archived: bool, include_archived: bool
) -> ColumnElement[bool]:
    """Only live records, only archived ones (`archived`), or both (`include_archived`)."""
    if include_archived:
        return true()
    condition: ColumnElement[bool] = archived_at.is_not(None) if archived else archived_at.is_(None)
    return condition


def order_named(name: str) -> Callable[[Any], str]:
    """A cursor's first part read as the name of the order it pages through: a cursor of
    another order (another sort, or a list of changes) is refused, not read as this one's key."""

    def read(part: Any) -> str:
        if part != name:
            raise ValueError(f"a cursor of {part!r}, not of {name!r}")
        return name

    return read


# The first part of a cursor of changes (`changes`): a list's cursor in its usual order does not
# page through changes, nor the other way round.
CHANGED = "changed"


def changes(
    query: Select[Any],
    updated_at: Any,
    id_: Any,
    *,
    since: datetime,
    cursor: str | None,
    limit: int,
) -> Select[Any]:
    """`query`'s records changed at or after `since`, in order of change, a page from `cursor`
    (one of `changes_page`)."""
    query = query.where(updated_at >= since).order_by(updated_at, id_).limit(limit + 1)
    if cursor:
        _, changed_at, id_after = decode_cursor(cursor, order_named(CHANGED), read_time, UUID)
        query = query.where(tuple_(updated_at, id_) > (changed_at, id_after))
    return query


def changes_cursor(updated_at: datetime, id_: Any) -> str:
    return encode_cursor(CHANGED, updated_at.isoformat(), id_)


def changes_page(rows: Sequence[T], limit: int) -> Page[T]:
    """A page of records changed since (`changes`), each with its `updated_at` and `id`."""
    items = list(rows[:limit])
    last: Any = items[-1] if len(rows) > limit else None
    return Page(items=items, next_cursor=changes_cursor(last.updated_at, last.id) if last else None)
