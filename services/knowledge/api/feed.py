"""`/api/feed`: the reader's feed a page at a time, search over posts, the people a post may
mention, files for a post, followed folders and the switches of automatic posts."""

from datetime import UTC, date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status

from services.knowledge.api.deps import SearchSessions, Store, upload_limit
from services.knowledge.api.forms import openapi_body, read_upload
from services.knowledge.domain.text import fold
from services.knowledge.feed_schemas import (
    AttachmentPublic,
    FeedPage,
    FeedSwitches,
    Person,
    PostPublic,
    PostSearchHit,
    PostSearchPage,
    RecordKind,
)
from services.knowledge.schemas import Principal
from services.knowledge.usecases import automatic, follows
from services.knowledge.usecases.audience import RecordRef, audience_members
from services.knowledge.usecases.feed import FeedFilters, feed_page
from services.knowledge.usecases.post_search import search_posts
from services.knowledge.usecases.responses import upload_attachment
from shared.auth import CurrentIdentity
from shared.deps import Sessions
from shared.errors import Invalid
from shared.pagination import Cursor, IncludeArchived, Limit, UpdatedSince
from shared.reads import json_answer
from shared.text import N_

router = APIRouter(prefix="/api/feed", tags=["feed"])
PEOPLE_SHOWN = 10


async def feed_filters(
    author_id: UUID | None = None,
    team_id: Annotated[UUID | None, Query(description="posts addressed to this group")] = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    created_from: date | None = None,
    created_to: date | None = None,
    record_kind: RecordKind | None = None,
    record_id: UUID | None = None,
) -> FeedFilters:
    if (record_kind is None) != (record_id is None):
        raise Invalid({"record_id": N_("name the record by its kind and id")}, where="query")
    record = RecordRef(record_kind, record_id) if record_kind and record_id else None
    return FeedFilters(author_id, team_id, tag, created_from, created_to, record)


Filters = Annotated[FeedFilters, Depends(feed_filters)]


@router.get("", response_model=FeedPage)
async def read_feed(
    sessions: Sessions,
    identity: CurrentIdentity,
    filters: Filters,
    updated_since: UpdatedSince = None,
    include_archived: IncludeArchived = False,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Response:
    """The newest posts the caller may read (their audience names the caller; on a deal, the
    caller sees the deal), a page at a time; the first page of the whole feed also carries the
    pinned posts. With `updated_since`, the posts changed since, in order of change, no
    pinned ones apart; `include_archived` adds the deleted ones (`deleted_at`, nothing else
    of what they said)."""
    page = await feed_page(
        sessions,
        identity=identity,
        filters=filters,
        cursor=cursor,
        limit=limit,
        since=updated_since,
        deleted=include_archived,
    )
    me, admin = UUID(identity.user_id), identity.role == "admin"
    answer = FeedPage(
        items=[
            PostPublic.of(view, me=me, admin=admin).gone(view.post.deleted_at)
            for view in page.items
        ],
        pinned=[PostPublic.of(view, me=me, admin=admin) for view in page.pinned],
        next_cursor=page.next_cursor,
    )
    return json_answer(answer)  # written once, not validated again on the way out


@router.get("/search")
async def search_feed(
    sessions: SearchSessions,
    identity: CurrentIdentity,
    filters: Filters,
    q: Annotated[str, Query(min_length=1, max_length=200, description="words, in any form")],
    limit: Limit = 20,
    cursor: Cursor = None,
) -> PostSearchPage:
    """Posts the caller may read whose tags, text or comments hold every word (any inflected
    form, with or without diacritics), the best first, matches marked."""
    found = await search_posts(
        sessions, identity=identity, text=q, filters=filters, cursor=cursor, limit=limit
    )
    return PostSearchPage(
        items=[PostSearchHit.of(hit) for hit in found.hits], next_cursor=found.next_cursor
    )


@router.get("/people")
async def people_to_mention(
    sessions: Sessions,
    identity: CurrentIdentity,
    q: Annotated[str, Query(max_length=100, description="the start of a name")] = "",
    audience: Annotated[list[Principal] | None, Query(max_length=200)] = None,
    record_kind: RecordKind | None = None,
    record_id: UUID | None = None,
) -> list[Person]:
    """People whose name starts (in any word) with `q` who may read a post of this audience
    (everyone by default) on this record: those a post may mention."""
    record = RecordRef(record_kind, record_id) if record_kind and record_id else None
    wanted = fold(q.strip())
    async with sessions() as session:
        members = await audience_members(
            session, audience=audience or ["everyone"], record=record, administrators=True
        )
    found = [
        Person(id=member.id, name=member.name)
        for member in members
        if str(member.id) != identity.user_id
        and any(word.startswith(wanted) for word in fold(member.name).split())
    ]
    return found[:PEOPLE_SHOWN]


@router.post(
    "/attachments", status_code=status.HTTP_201_CREATED, openapi_extra=openapi_body(["file"])
)
async def attach(
    request: Request,
    sessions: Sessions,
    identity: CurrentIdentity,
    store: Store,
    limit: Annotated[int, Depends(upload_limit)],
) -> AttachmentPublic:
    """A file (multipart `file`) for the post the caller writes next: pass its id in the post's
    `attachment_ids`. Its type is sniffed from the content."""
    received = await read_upload(request, limit=limit)
    if received.content is None or received.page:
        raise Invalid({"file": N_("send a file")})
    try:
        attachment = await upload_attachment(
            sessions, store, identity=identity, content=received.content, now=datetime.now(UTC)
        )
    finally:
        received.content.close()
    return AttachmentPublic.of(attachment)


@router.get("/settings")
async def automatic_posts(sessions: Sessions, identity: CurrentIdentity) -> dict[str, bool]:
    """Which kinds of automatic post are on."""
    async with sessions() as session:
        return await automatic.switches(session)


@router.put("/settings")
async def switch_automatic_posts(
    body: FeedSwitches, sessions: Sessions, identity: CurrentIdentity
) -> dict[str, bool]:
    """The administrator turns kinds of automatic post on or off."""
    chosen = {kind: on for kind, on in body.model_dump().items() if on is not None}
    return await automatic.switch(sessions, identity=identity, chosen=chosen, now=datetime.now(UTC))


@router.get("/follows")
async def followed_folders(sessions: Sessions, identity: CurrentIdentity) -> list[UUID]:
    """The folders whose new documents come to the caller as posts."""
    async with sessions() as session:
        return await follows.followed(session, UUID(identity.user_id))


@router.put("/follows/{folder_id}", status_code=status.HTTP_204_NO_CONTENT)
async def follow(folder_id: UUID, sessions: Sessions, identity: CurrentIdentity) -> Response:
    await follows.follow(sessions, identity=identity, folder_id=folder_id, now=datetime.now(UTC))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/follows/{folder_id}", status_code=status.HTTP_204_NO_CONTENT)
async def unfollow(folder_id: UUID, sessions: Sessions, identity: CurrentIdentity) -> Response:
    await follows.unfollow(sessions, identity=identity, folder_id=folder_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
