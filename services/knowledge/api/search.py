"""`/api/documents/search`: knowledge's part of the global search (the gateway merges it)."""

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from services.knowledge.api.deps import SearchReads
from services.knowledge.domain.text import Snippet
from services.knowledge.schemas import SearchPage, Type
from services.knowledge.usecases.documents import url_of
from services.knowledge.usecases.search import Filters, search
from shared.auth import CurrentIdentity
from shared.pagination import Cursor, Limit
from shared.reads import json_answer

router = APIRouter(prefix="/api/documents", tags=["search"])


@router.get("/search", response_model=SearchPage)
async def search_documents(
    reads: SearchReads,
    identity: CurrentIdentity,
    q: Annotated[str, Query(min_length=1, max_length=200, description="words, in any form")],
    folder_id: UUID | None = None,
    type: Type | None = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    owner_id: UUID | None = None,
    updated_from: date | None = None,
    updated_to: date | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Response:
    """Documents the caller may read whose title, description, tags or text hold every word
    (any inflected form, with or without diacritics), the best first, matches marked."""
    found = await search(
        reads,
        identity=identity,
        text=q,
        filters=Filters(folder_id, type, tag, owner_id, updated_from, updated_to),
        cursor=cursor,
        limit=limit,
    )
    # Written once as `SearchPage` has it, not built as models and validated again.
    return json_answer(
        {
            "items": [
                {
                    "kind": "document",
                    "id": hit.document["id"],
                    "url": url_of(hit.document["id"]),
                    "title": fragments(hit.title),
                    "snippet": fragments(hit.snippet),
                    "score": hit.score,
                    "folder_id": hit.document["folder_id"],
                    "media_type": hit.document["media_type"],
                    "document_kind": hit.document["kind"],
                    "owner_id": hit.document["owner_id"],
                    "version": hit.document["version"],
                    "updated_at": hit.document["updated_at"],
                }
                for hit in found.hits
            ],
            "next_cursor": found.next_cursor,
        }
    )


def fragments(snippet: Snippet | None) -> list[dict[str, Any]]:
    """A snippet as `Fragment`s write it."""
    return [{"text": text, "match": match} for text, match in snippet.parts] if snippet else []
