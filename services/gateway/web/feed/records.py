"""A record's thread: the notes on a company, contact or deal (posts with a record link), with a
composer, on the record's page; and the same posts as lines of the record's timeline."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Request, Response

from services.gateway.tables import User
from services.gateway.web.backend import part, read
from services.gateway.web.common import PageSeller
from services.gateway.web.deals.timeline import Line
from services.gateway.web.feed.markdown import render_post
from services.gateway.web.feed.shown import prepared, setting
from services.gateway.web.rendering import render
from shared.deps import Sessions

router = APIRouter(include_in_schema=False)
Kind = Literal["deal", "company", "contact"]
THREAD_SIZE = 20
TIMELINE_POSTS = 50


@router.get("/feed/records/{kind}/{record_id}")
async def thread(
    request: Request, user: PageSeller, sessions: Sessions, kind: Kind, record_id: UUID
) -> Response:
    """The part of a record's page with its notes; the page loads it by itself."""
    params = {"record_kind": kind, "record_id": str(record_id), "limit": THREAD_SIZE}
    found = await part(read(request, user, "knowledge", "/api/feed", **params), None)
    page = None
    if found.value is not None:
        page = {**found.value, "items": [prepared(p) for p in found.value["items"]]}
    shown = await setting(sessions)
    context = {
        **shown.context(request, user),
        "page": page,
        "missing": found.missing,
        "record": {"kind": kind, "id": str(record_id)},
        "more": {"record_kind": kind, "record_id": str(record_id)},
    }
    return render(request, "feed/_thread.html", user, **context)


# Automatic posts about what the timeline has an entry of its own for (with the outputs).
ON_THE_TIMELINE = frozenset({"request_delivered"})


async def post_lines(request: Request, user: User, kind: Kind, record_id: UUID) -> list[Line]:
    """The record's notes the reader may read, as lines of its timeline (none when the
    knowledge service does not answer: the timeline stays useful without them)."""
    params = {"record_kind": kind, "record_id": str(record_id), "limit": TIMELINE_POSTS}
    found = await part(read(request, user, "knowledge", "/api/feed", **params), {"items": []})
    return [
        Line(
            "post",
            datetime.fromisoformat(post["created_at"]),
            post["author_name"],
            text=render_post(post["text"]),
            url=post["url"],
        )
        for post in found.value["items"]
        if post["kind"] not in ON_THE_TIMELINE
    ]
