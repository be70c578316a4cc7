"""Incremental sync in tests: page through a list's `updated_since` changes as a copy would."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx

Get = Callable[[dict[str, Any]], Awaitable[httpx.Response]]


async def changed(
    get: Get,
    since: str,
    *,
    during: Callable[[], Awaitable[Any]] | None = None,
    limit: int = 2,
    **params: Any,
) -> list[dict[str, Any]]:
    """Every record the list (`get(query)`) gives as changed since `since`, page by page, in
    order; `during` runs once, after the first page (records changed while a copy pages)."""
    seen: list[dict[str, Any]] = []
    query: dict[str, Any] = {"updated_since": since, "limit": limit, **params}
    while True:
        page = await get(query)
        assert page.status_code == 200, page.text
        seen += page.json()["items"]
        if during is not None:
            await during()
            during = None
        if not (cursor := page.json()["next_cursor"]):
            return seen
        query["cursor"] = cursor


def ids_once_in_order(items: list[dict[str, Any]], key: str = "id") -> list[str]:
    """The records' ids, checked to be each there once and in order of change."""
    ids = [str(item[key]) for item in items]
    assert len(ids) == len(set(ids)), ids
    times = [datetime.fromisoformat(item["updated_at"]) for item in items]
    assert times == sorted(times), times
    return ids
