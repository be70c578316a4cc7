"""Documents: added (a file or a written page), versioned, restored, changed, archived, linked."""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge.extractors import can_extract
from services.knowledge.storage import ContentStore
from services.knowledge.tables import (
    CustomerAccess,
    Document,
    DocumentLink,
    DocumentVersion,
    Extraction,
    Folder,
    LinkedRecord,
    Member,
)
from services.knowledge.uploads import ContentInfo, Staged
from services.knowledge.usecases.access import Reader, find_document, reader_of
from services.knowledge.usecases.acknowledgements import ask_to_confirm
from services.knowledge.usecases.indexing import index_document, text_of
from shared.auth import Identity
from shared.contracts.knowledge import (
    DocumentArchived,
    DocumentCreated,
    DocumentLinked,
    DocumentVersioned,
)
from shared.db import SessionFactory, unit_of_work
from shared.errors import Forbidden, Invalid, NotFound
from shared.events import new_event
from shared.links import LinkKind, check_may_link
from shared.outbox import add_event
from shared.text import N_


@dataclass(frozen=True)
class Details:
    """What a person writes about a document."""

    title: str
    description: str = ""
    tags: tuple[str, ...] = ()
    valid_until: date | None = None


@dataclass(frozen=True)
class Changes:
    """The details sent to change (the others stay); `folder_id` moves the document."""

    sent: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    """What a document is attached to."""

    kind: LinkKind
    id: UUID


def url_of(document_id: UUID) -> str:
    return f"/knowledge/documents/{document_id}"


def snapshot(document: Document) -> dict[str, Any]:
    return {
        "document_id": document.id,
        "folder_id": document.folder_id,
        "kind": document.kind,
        "title": document.title,
        "tags": list(document.tags),
        "owner_id": document.owner_id,
        "valid_until": document.valid_until,
        "version": document.version,
        "media_type": document.media_type,
        "file_name": document.file_name,
        "size": document.size,
        "sha256": document.sha256,
        "url": url_of(document.id),
    }


async def _check_folder(session: AsyncSession, reader: Reader, folder_id: UUID | None) -> None:
    if folder_id is None:
        return
    if not reader.may_edit_folder(folder_id):
        if reader.may_read_folder(folder_id):
            raise Forbidden("only the folder's editors may add documents to it")
        raise Invalid({"folder_id": N_("no such folder")})
    if await session.get(Folder, folder_id) is None:  # the administrator may edit any folder
        raise Invalid({"folder_id": N_("no such folder")})


async def _queue_extraction(session: AsyncSession, content: ContentInfo, now: datetime) -> None:
    """Ask for the content's text once per content (a restored or repeated upload has it)."""
    status = "pending" if can_extract(content.media_type) else "unsupported"
    await session.execute(
        insert(Extraction)
        .values(
            sha256=content.sha256,
            media_type=content.media_type,
            status=status,
            attempts=0,
            run_after=now,
            text="",
            pages=0,
        )
        .on_conflict_do_nothing()
    )


def _version(
    document: Document, content: ContentInfo, *, author: UUID, note: str, now: datetime
) -> DocumentVersion:
    return DocumentVersion(
        document_id=document.id,
        number=document.version,
        sha256=content.sha256,
        size=content.size,
        media_type=content.media_type,
        file_name=content.file_name,
        note=note,
        author_id=author,
        created_at=now,
    )


async def create_document(
    sessions: SessionFactory,
    store: ContentStore,
    *,
    identity: Identity,
    folder_id: UUID | None,
    kind: str,
    details: Details,
    content: Staged,
    note: str,
    target: Target | None,
    now: datetime,
) -> Document:
    """Keep the content, then the document and its first version in one transaction."""
    async with sessions() as session:  # refuse before storing anything
        await _check_folder(session, await reader_of(session, identity), folder_id)
        await _check_target(session, identity, target)
    await store.put(content.sha256, content.size, content.chunks())
    async with unit_of_work(sessions) as session:
        reader = await reader_of(session, identity)
        document = await insert_document(
            session,
            reader,
            folder_id=folder_id,
            kind=kind,
            details=details,
            content=content,
            note=note,
            now=now,
        )
        if target is not None:
            await _check_target(session, identity, target)
            await _link(session, document, target, reader.user_id, now)
    return document


async def insert_document(
    session: AsyncSession,
    reader: Reader,
    *,
    folder_id: UUID | None,
    kind: str,
    details: Details,
    content: ContentInfo,
    note: str,
    now: datetime,
) -> Document:
    """A document and its first version, of content already kept, in the caller's transaction
    (the folder's editors only); its text is asked for, it is indexed and announced."""
    await _check_folder(session, reader, folder_id)
    document = Document(
        id=uuid4(),
        folder_id=folder_id,
        kind=kind,
        title=details.title,
        description=details.description,
        tags=list(details.tags),
        valid_until=details.valid_until,
        owner_id=reader.user_id,
        version=1,
        sha256=content.sha256,
        size=content.size,
        media_type=content.media_type,
        file_name=content.file_name,
        must_read=[],
        created_at=now,
        updated_at=now,
    )
    session.add(document)
    await session.flush()
    session.add(_version(document, content, author=reader.user_id, note=note, now=now))
    await _queue_extraction(session, content, now)
    await index_document(session, document, await text_of(session, content.sha256))
    await add_event(session, new_event(DocumentCreated(**snapshot(document)), subject=document.id))
    return document


async def add_version(
    sessions: SessionFactory,
    store: ContentStore,
    *,
    identity: Identity,
    document_id: UUID,
    content: Staged,
    note: str,
    now: datetime,
) -> Document:
    """A new upload becomes the current version; the earlier ones stay as they were."""
    async with sessions() as session:
        await find_document(session, await reader_of(session, identity), document_id, edit=True)
    await store.put(content.sha256, content.size, content.chunks())
    async with unit_of_work(sessions) as session:
        reader = await reader_of(session, identity)
        document = await find_document(session, reader, document_id, edit=True, lock=True)
        _refuse_archived(document)
        await _make_current(session, document, content, reader.user_id, note, None, now)
    return document


async def restore_version(
    sessions: SessionFactory, *, identity: Identity, document_id: UUID, number: int, now: datetime
) -> Document:
    """An older version, byte for byte, becomes current again as the newest version."""
    async with unit_of_work(sessions) as session:
        reader = await reader_of(session, identity)
        document = await find_document(session, reader, document_id, edit=True, lock=True)
        _refuse_archived(document)
        old = await session.get(DocumentVersion, (document.id, number))
        if old is None:
            raise NotFound("version")
        content = ContentInfo(old.file_name, old.size, old.sha256, old.media_type)
        await _make_current(session, document, content, reader.user_id, "", number, now)
    return document


async def _make_current(
    session: AsyncSession,
    document: Document,
    content: ContentInfo,
    author: UUID,
    note: str,
    restored_from: int | None,
    now: datetime,
) -> None:
    document.version += 1
    document.sha256, document.size = content.sha256, content.size
    document.media_type, document.file_name = content.media_type, content.file_name
    document.updated_at = now
    version = _version(document, content, author=author, note=note, now=now)
    version.restored_from = restored_from
    session.add(version)
    await _queue_extraction(session, content, now)
    await index_document(session, document, await text_of(session, content.sha256))
    event = DocumentVersioned(
        **snapshot(document), author_id=author, note=note, restored_from=restored_from
    )
    await add_event(session, new_event(event, subject=document.id))
    await ask_to_confirm(session, document, requested_by=author, now=now)


def _refuse_archived(document: Document) -> None:
    if document.archived_at is not None:
        raise Invalid({"document": N_("the document is archived")})


async def update_document(
    sessions: SessionFactory,
    *,
    identity: Identity,
    document_id: UUID,
    changes: Changes,
    now: datetime,
) -> Document:
    """Title, description, tags, validity; `folder_id` moves it (editors of both folders)."""
    async with unit_of_work(sessions) as session:
        reader = await reader_of(session, identity)
        document = await find_document(session, reader, document_id, edit=True, lock=True)
        sent = dict(changes.sent)
        if "folder_id" in sent and sent["folder_id"] != document.folder_id:
            await _check_folder(session, reader, sent["folder_id"])
        for name, value in sent.items():
            setattr(document, name, list(value) if name == "tags" else value)
        document.updated_at = now
        await index_document(session, document, await text_of(session, document.sha256))
    return document


async def archive_document(
    sessions: SessionFactory, *, identity: Identity, document_id: UUID, now: datetime
) -> Document:
    """Gone from lists and search; its versions stay for whoever may still open it."""
    async with unit_of_work(sessions) as session:
        reader = await reader_of(session, identity)
        document = await find_document(session, reader, document_id, edit=True, lock=True)
        if document.archived_at is None:
            document.archived_at = document.updated_at = now
            await add_event(
                session, new_event(DocumentArchived(**snapshot(document)), subject=document.id)
            )
    return document


async def link_document(
    sessions: SessionFactory,
    *,
    identity: Identity,
    document_id: UUID,
    target: Target,
    now: datetime,
) -> DocumentLink:
    """Attach a document someone may read to a deal, a company or a contact (once)."""
    async with unit_of_work(sessions) as session:
        reader = await reader_of(session, identity)
        document = await find_document(session, reader, document_id)
        _refuse_archived(document)
        await _check_target(session, identity, target, "target_id")
        return await _link(session, document, target, reader.user_id, now)


async def _check_target(
    session: AsyncSession, identity: Identity, target: Target | None, field: str | None = None
) -> None:
    """A document is attached only to a deal, company or contact the caller may see."""
    if target is not None:
        await check_may_link(
            session,
            identity,
            {target.kind: target.id},
            records=LinkedRecord,
            access=CustomerAccess,
            members=Member,
            field=field,
        )


async def _link(
    session: AsyncSession, document: Document, target: Target, user_id: UUID, now: datetime
) -> DocumentLink:
    found = await session.get(DocumentLink, (document.id, target.kind, target.id))
    if found is not None:
        return found
    link = DocumentLink(
        document_id=document.id,
        target=target.kind,
        target_id=target.id,
        linked_by=user_id,
        linked_at=now,
    )
    session.add(link)
    event = DocumentLinked(
        document_id=document.id,
        title=document.title,
        target=target.kind,
        target_id=target.id,
        linked_by=user_id,
        linked_at=now,
        url=url_of(document.id),
    )
    await add_event(session, new_event(event, subject=document.id))
    return link


async def versions_of(session: AsyncSession, document_id: UUID) -> list[DocumentVersion]:
    rows = await session.scalars(
        select(DocumentVersion)
        .where(DocumentVersion.document_id == document_id)
        .order_by(DocumentVersion.number.desc())
    )
    return list(rows)
