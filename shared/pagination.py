"""Keyset pagination: an opaque cursor holding the sort key of the last row a client has seen."""

import base64
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import HTTPException, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

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
) -> Select[Any]:
    """`query` ordered by `columns`, starting after the cursor's key, one row more than a page."""
    order = [column.desc() for column in columns] if descending else list(columns)
    query = query.order_by(*order).limit(limit + 1)
    if cursor:
        key, after = tuple_(*columns), decode_cursor(cursor, *types)
        query = query.where(key < after if descending else key > after)
    return query


def page_of(rows: Sequence[T], limit: int, key: Callable[[T], tuple[Any, ...]]) -> Page[T]:
    """A page from up to `limit + 1` rows: the extra row only says that another page exists."""
    items = list(rows[:limit])
    more = len(rows) > limit
    return Page(items=items, next_cursor=encode_cursor(*key(items[-1])) if more else None)
