"""The feed's pages: the reader's feed (composer on top, filters, infinite scroll, search), a
post's own page (all comments, history, who has confirmed, promotion), a post's card for the
live updates, and the people a post may mention."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select

from services.gateway.tables import Team, User
from services.gateway.web.backend import part, read
from services.gateway.web.common import PageUser
from services.gateway.web.feed.shown import prepared, setting
from services.gateway.web.rendering import render
from shared.deps import Sessions
from shared.text import first_line

router = APIRouter(include_in_schema=False)
FILTERS = ("author_id", "team_id", "tag", "created_from", "created_to")
PAGE_SIZE = 20


def chosen_filters(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k in FILTERS and v}


async def _people_and_groups(sessions: Sessions) -> dict[str, Any]:
    async with sessions() as session:
        people = (await session.scalars(select(User).where(User.active).order_by(User.name))).all()
        groups = (await session.scalars(select(Team).order_by(Team.name))).all()
    return {"authors": people, "groups": groups}


@router.get("/feed")
async def feed_page(request: Request, user: PageUser, sessions: Sessions, q: str = "") -> Response:
    """The newest posts the reader may read, pinned ones on top, filtered; or the posts and
    comments matching `q` (any form of the words)."""
    filters = chosen_filters(request)
    page = results = None
    if q.strip():
        results = await read(request, user, "knowledge", "/api/feed/search", q=q[:200], **filters)
    else:
        page = await read(request, user, "knowledge", "/api/feed", limit=PAGE_SIZE, **filters)
        page = {**page, "items": [prepared(p) for p in page["items"]]}
        page["pinned"] = [{**p, "title": first_line(p["text"]) or "…"} for p in page["pinned"]]
    shown = await setting(sessions)
    context = {
        **shown.context(request, user),
        **await _people_and_groups(sessions),
        "page": page,
        "results": results,
        "q": q,
        "filters": filters,
        "live": not filters and not q.strip(),
    }
    return render(request, "feed/feed.html", user, **context)


@router.get("/feed/more")
async def more_posts(
    request: Request, user: PageUser, sessions: Sessions, cursor: str = Query(max_length=500)
) -> Response:
    """The next posts of the feed (infinite scroll), with the same filters."""
    params = {**chosen_filters(request), "cursor": cursor, "limit": PAGE_SIZE}
    for name in ("record_kind", "record_id"):
        if request.query_params.get(name):
            params[name] = request.query_params[name]
    page = await read(request, user, "knowledge", "/api/feed", **params)
    page = {**page, "items": [prepared(p) for p in page["items"]]}
    shown = await setting(sessions)
    more = {k: v for k, v in params.items() if k not in ("cursor", "limit")}
    context = {**shown.context(request, user), "page": page, "more": more}
    return render(request, "feed/_posts.html", user, **context)


@router.get("/feed/posts/{post_id}")
async def post_page(
    request: Request, user: PageUser, sessions: Sessions, post_id: UUID
) -> Response:
    """A post with all its comments; its author also sees who has confirmed it, its history,
    and may make it a document in a folder they edit."""
    path = f"/api/posts/{post_id}"
    post = prepared(await read(request, user, "knowledge", path))
    history = (await part(read(request, user, "knowledge", f"{path}/revisions"), [])).value
    confirmations = None
    if post["confirmations"] is not None:
        found = await part(read(request, user, "knowledge", f"{path}/acknowledgements"), None)
        confirmations = found.value
    folders = (await part(read(request, user, "knowledge", "/api/folders"), [])).value
    shown = await setting(sessions)
    context = {
        **shown.context(request, user),
        "post": post,
        "history": history,
        "confirmations": confirmations,
        "folders": [folder for folder in folders if folder["may_edit"]],
        "full": True,
    }
    return render(request, "feed/post.html", user, **context)


@router.get("/feed/posts/{post_id}/card")
async def post_card(
    request: Request, user: PageUser, sessions: Sessions, post_id: UUID
) -> Response:
    """One post as a card, for a page that learnt it is new or changed."""
    post = prepared(await read(request, user, "knowledge", f"/api/posts/{post_id}"))
    shown = await setting(sessions)
    return render(request, "feed/_post.html", user, post=post, **shown.context(request, user))


@router.get("/feed/people")
async def people_to_mention(request: Request, user: PageUser) -> Response:
    """The people whose name starts with `q` a post of the chosen audience (on the record)
    may mention, for the composer's suggestions."""
    params: dict[str, Any] = {"q": request.query_params.get("q", "")[:100]}
    params["audience"] = request.query_params.getlist("audience")[:200] or ["everyone"]
    for name in ("record_kind", "record_id"):
        if request.query_params.get(name):
            params[name] = request.query_params[name]
    found = (await part(read(request, user, "knowledge", "/api/feed/people", **params), [])).value
    return JSONResponse(found)
