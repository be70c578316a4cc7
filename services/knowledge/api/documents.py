"""`/api/documents`: uploads and written pages, their versions, content, links and archive."""

from datetime import UTC, date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import PlainTextResponse
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge.api.content import content_response
from services.knowledge.api.deps import Store, upload_limit, wake_extractor
from services.knowledge.api.forms import openapi_body, read_upload
from services.knowledge.schemas import (
    DocumentPublic,
    DocumentUpdate,
    Extracted,
    LinkCreate,
    LinkPublic,
    Type,
    VersionPublic,
)
from services.knowledge.tables import (
    Acknowledgement,
    Document,
    DocumentLink,
    DocumentVersion,
    Extraction,
)
from services.knowledge.uploads import ContentInfo
from services.knowledge.usecases import documents as usecases
from services.knowledge.usecases.access import Reader, find_document, readable_documents, reader_of
from services.knowledge.usecases.documents import Changes, Target
from services.knowledge.usecases.search import Filters, filtered
from shared.auth import CurrentIdentity
from shared.deps import Sessions
from shared.errors import Invalid, NotFound
from shared.pagination import (
    Cursor,
    IncludeArchived,
    Limit,
    Page,
    UpdatedSince,
    changes,
    changes_page,
    keyset,
)
from shared.text import N_

router = APIRouter(prefix="/api/documents", tags=["documents"])
UploadLimit = Annotated[int, Depends(upload_limit)]


def _today() -> date:
    return datetime.now(UTC).date()


async def _public(session: AsyncSession, reader: Reader, document: Document) -> DocumentPublic:
    job = await session.get(Extraction, document.sha256)
    links = await session.scalars(
        select(DocumentLink).where(DocumentLink.document_id == document.id)
    )
    asked = await session.get(Acknowledgement, (document.id, document.version, reader.user_id))
    return DocumentPublic.of(
        document,
        may_edit=reader.may_edit(document),
        today=_today(),
        extraction=Extracted(status=job.status, pages=job.pages, error=job.error) if job else None,
        links=[LinkPublic.model_validate(link, from_attributes=True) for link in links],
        to_confirm=asked is not None and asked.acknowledged_at is None,
    )


async def document_answer(
    sessions: Sessions, identity: CurrentIdentity, document_id: UUID
) -> DocumentPublic:
    async with sessions() as session:
        reader = await reader_of(session, identity)
        document = await find_document(session, reader, document_id)
        return await _public(session, reader, document)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(wake_extractor)],
    openapi_extra=openapi_body(["file"]),
)
async def upload_document(
    request: Request,
    sessions: Sessions,
    identity: CurrentIdentity,
    store: Store,
    limit: UploadLimit,
) -> DocumentPublic:
    """A file of any type (multipart `file`), or a page written in Markdown (`text`).

    The type is sniffed from the content; `deal_id`, `company_id` or `contact_id` attach it."""
    received = await read_upload(request, limit=limit)
    form, content = received.form, received.content
    if content is None:
        raise Invalid({"file": N_("send a file or the text of a page")})
    try:
        document = await usecases.create_document(
            sessions,
            store,
            identity=identity,
            folder_id=form.folder_id,
            kind="page" if received.page else "file",
            details=form.details(content.file_name),
            content=content,
            note=form.note,
            target=form.target(),
            now=datetime.now(UTC),
        )
    finally:
        content.file.close()
    return await document_answer(sessions, identity, document.id)


@router.get("")
async def list_documents(
    sessions: Sessions,
    identity: CurrentIdentity,
    folder_id: UUID | None = None,
    type: Type | None = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    owner_id: UUID | None = None,
    updated_from: date | None = None,
    updated_to: date | None = None,
    unfiled: bool = Query(default=False, description="only documents outside the folders"),
    deal_id: UUID | None = Query(default=None, description="only those attached to this deal"),
    updated_since: UpdatedSince = None,
    include_archived: IncludeArchived = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[DocumentPublic]:
    """Documents the caller may read, the latest changed first; with `updated_since`, those
    changed since, the earliest change first."""
    filters = Filters(folder_id, type, tag, owner_id, updated_from, updated_to, include_archived)
    async with sessions() as session:
        reader = await reader_of(session, identity)
        query = filtered(select(Document), filters).where(readable_documents(reader))
        if unfiled:
            query = query.where(Document.folder_id.is_(None))
        if deal_id is not None:
            attached = select(DocumentLink.document_id).where(
                DocumentLink.target == "deal", DocumentLink.target_id == deal_id
            )
            query = query.where(Document.id.in_(attached))
        if updated_since is not None:
            query = changes(
                query,
                Document.updated_at,
                Document.id,
                since=updated_since,
                cursor=cursor,
                limit=limit,
            )
        else:
            query = keyset(
                query,
                (Document.updated_at, Document.id),
                cursor=cursor,
                types=(datetime.fromisoformat, UUID),
                limit=limit,
                descending=True,
            )
        rows = list(await session.scalars(query))
        items = [DocumentPublic.of(d, may_edit=reader.may_edit(d), today=_today()) for d in rows]
    return changes_page(items, limit)


@router.get("/{document_id}")
async def get_document(
    document_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> DocumentPublic:
    return await document_answer(sessions, identity, document_id)


@router.patch("/{document_id}")
async def update_document(
    document_id: UUID, body: DocumentUpdate, sessions: Sessions, identity: CurrentIdentity
) -> DocumentPublic:
    sent = body.model_dump(exclude_unset=True)
    for required in ("title", "description", "tags"):
        if required in sent and sent[required] is None:
            raise Invalid({required: N_("may not be null")})
    await usecases.update_document(
        sessions,
        identity=identity,
        document_id=document_id,
        changes=Changes(sent),
        now=datetime.now(UTC),
    )
    return await document_answer(sessions, identity, document_id)


@router.delete("/{document_id}")
async def archive_document(
    document_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> DocumentPublic:
    """Archive: gone from lists and search, kept with its versions."""
    await usecases.archive_document(
        sessions, identity=identity, document_id=document_id, now=datetime.now(UTC)
    )
    return await document_answer(sessions, identity, document_id)


@router.get("/{document_id}/content", response_class=Response)
async def current_content(
    document_id: UUID,
    request: Request,
    sessions: Sessions,
    identity: CurrentIdentity,
    store: Store,
    inline: bool = Query(default=False, description="show it in the browser (PDF, images, text)"),
) -> Response:
    """The current version's bytes; `Range` and `If-None-Match` are honoured."""
    async with sessions() as session:
        document = await find_document(session, await reader_of(session, identity), document_id)
    content = ContentInfo(document.file_name, document.size, document.sha256, document.media_type)
    return content_response(request, store, content, inline=inline)


@router.get("/{document_id}/text", response_class=PlainTextResponse)
async def current_text(
    document_id: UUID,
    sessions: Sessions,
    identity: CurrentIdentity,
    limit: Annotated[
        int, Query(ge=1, le=1_000_000, description="characters from the beginning")
    ] = 200_000,
) -> Response:
    """The text read out of the current version for search, from its beginning (a preview of
    files the browser cannot show, such as DOCX or XLSX); 404 until it has been read."""
    async with sessions() as session:
        document = await find_document(session, await reader_of(session, identity), document_id)
        text = await session.scalar(
            select(func.substr(Extraction.text, 1, limit)).where(
                Extraction.sha256 == document.sha256, Extraction.status == "done"
            )
        )
    if text is None:
        raise NotFound("text")
    headers = {"Cache-Control": "private, no-cache", "X-Content-Type-Options": "nosniff"}
    return PlainTextResponse(text, headers=headers)


@router.get("/{document_id}/versions")
async def list_versions(
    document_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> list[VersionPublic]:
    """Every version, the newest first: who, when, with what note."""
    async with sessions() as session:
        document = await find_document(session, await reader_of(session, identity), document_id)
        versions = await usecases.versions_of(session, document.id)
    return [VersionPublic.of(v, current=document.version) for v in versions]


@router.get("/{document_id}/versions/{number}/content", response_class=Response)
async def version_content(
    document_id: UUID,
    number: int,
    request: Request,
    sessions: Sessions,
    identity: CurrentIdentity,
    store: Store,
    inline: bool = False,
) -> Response:
    """Any version's bytes, exactly as uploaded."""
    async with sessions() as session:
        document = await find_document(session, await reader_of(session, identity), document_id)
        version = await session.get(DocumentVersion, (document.id, number))
    if version is None:
        raise NotFound("version")
    content = ContentInfo(version.file_name, version.size, version.sha256, version.media_type)
    return content_response(request, store, content, inline=inline)


@router.post(
    "/{document_id}/versions",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(wake_extractor)],
    openapi_extra=openapi_body(["file"]),
)
async def upload_version(
    document_id: UUID,
    request: Request,
    sessions: Sessions,
    identity: CurrentIdentity,
    store: Store,
    limit: UploadLimit,
) -> DocumentPublic:
    """A new version (a file, or a page's new `text`) with a `note`; it becomes current."""
    received = await read_upload(request, limit=limit)
    form, content = received.form, received.content
    if content is None:
        raise Invalid({"file": N_("send a file or the text of a page")})
    try:
        await usecases.add_version(
            sessions,
            store,
            identity=identity,
            document_id=document_id,
            content=content,
            note=form.note,
            now=datetime.now(UTC),
        )
    finally:
        content.file.close()
    return await document_answer(sessions, identity, document_id)


@router.post("/{document_id}/versions/{number}/restore", status_code=status.HTTP_201_CREATED)
async def restore_version(
    document_id: UUID, number: int, sessions: Sessions, identity: CurrentIdentity
) -> DocumentPublic:
    """Make an older version current again (as a new version with the same bytes)."""
    await usecases.restore_version(
        sessions, identity=identity, document_id=document_id, number=number, now=datetime.now(UTC)
    )
    return await document_answer(sessions, identity, document_id)


@router.post("/{document_id}/links", status_code=status.HTTP_201_CREATED)
async def link_document(
    document_id: UUID, body: LinkCreate, sessions: Sessions, identity: CurrentIdentity
) -> LinkPublic:
    """Attach the document to a deal (e.g. the offer), a company or a contact."""
    link = await usecases.link_document(
        sessions,
        identity=identity,
        document_id=document_id,
        target=Target(body.target, body.target_id),
        now=datetime.now(UTC),
    )
    return LinkPublic(
        target=body.target,
        target_id=link.target_id,
        linked_by=link.linked_by,
        linked_at=link.linked_at,
    )
