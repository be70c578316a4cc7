"""Folders: a tree, each with its readers and editors (its documents inherit them)."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge.domain.access import EVERYONE
from services.knowledge.tables import Document, Folder, FolderAccess
from services.knowledge.usecases.access import Reader, reader_of
from shared.auth import Identity
from shared.db import SessionFactory, unit_of_work
from shared.errors import Forbidden, Invalid, NotFound
from shared.text import N_


@dataclass(frozen=True)
class Access:
    """Who reads a folder's documents and who adds and changes them (principals)."""

    readers: tuple[str, ...]
    editors: tuple[str, ...]


async def access_of(session: AsyncSession, folder_ids: list[UUID]) -> dict[UUID, Access]:
    rows = await session.execute(select(FolderAccess).where(FolderAccess.folder_id.in_(folder_ids)))
    readers: dict[UUID, list[str]] = {id_: [] for id_ in folder_ids}
    editors: dict[UUID, list[str]] = {id_: [] for id_ in folder_ids}
    for (row,) in rows:
        (editors if row.may_edit else readers)[row.folder_id].append(row.principal)
    return {
        id_: Access(tuple(sorted(readers[id_])), tuple(sorted(editors[id_]))) for id_ in folder_ids
    }


async def _grant(session: AsyncSession, folder_id: UUID, access: Access) -> None:
    await session.execute(delete(FolderAccess).where(FolderAccess.folder_id == folder_id))
    rows = {(p, False) for p in access.readers} | {(p, True) for p in access.editors}
    session.add_all(
        FolderAccess(folder_id=folder_id, principal=principal, may_edit=may_edit)
        for principal, may_edit in sorted(rows)
    )


def _may_make(reader: Reader, parent_id: UUID | None) -> None:
    if parent_id is None and not reader.admin:
        raise Forbidden("only the administrator adds top-level folders")
    if parent_id is not None and not reader.may_edit_folder(parent_id):
        if not reader.may_read_folder(parent_id):
            raise Invalid({"parent_id": N_("no such folder")})
        raise Forbidden("only the folder's editors add folders to it")


async def create_folder(
    sessions: SessionFactory,
    *,
    identity: Identity,
    name: str,
    parent_id: UUID | None,
    access: Access | None,
    now: datetime,
) -> Folder:
    """A folder; without `access` it takes its parent's (top level: everyone reads)."""
    async with unit_of_work(sessions) as session:
        reader = await reader_of(session, identity)
        _may_make(reader, parent_id)
        if parent_id is not None and await session.get(Folder, parent_id) is None:
            raise Invalid({"parent_id": N_("no such folder")})
        if access is None:
            inherited = (await access_of(session, [parent_id]))[parent_id] if parent_id else None
            access = inherited or Access((EVERYONE,), ())
        folder = Folder(
            id=uuid4(), parent_id=parent_id, name=name, created_by=reader.user_id, created_at=now
        )
        session.add(folder)
        await session.flush()
        await _grant(session, folder.id, access)
    return folder


async def editable_folder(session: AsyncSession, reader: Reader, folder_id: UUID) -> Folder:
    folder = await session.get(Folder, folder_id, with_for_update=True)
    if folder is None or not reader.may_read_folder(folder_id):
        raise NotFound("folder")
    if not reader.may_edit_folder(folder_id):
        raise Forbidden("only the folder's editors change it")
    return folder


async def update_folder(
    sessions: SessionFactory,
    *,
    identity: Identity,
    folder_id: UUID,
    name: str | None,
    access: Access | None,
) -> Folder:
    """Rename a folder, or set who reads and edits it (its documents follow at once)."""
    async with unit_of_work(sessions) as session:
        reader = await reader_of(session, identity)
        folder = await editable_folder(session, reader, folder_id)
        if name is not None:
            folder.name = name
        if access is not None:
            if not reader.admin and not access.editors:  # nobody but the admin could edit it
                raise Invalid({"editors": N_("name at least one editor")})
            await _grant(session, folder.id, access)
    return folder


async def delete_folder(sessions: SessionFactory, *, identity: Identity, folder_id: UUID) -> None:
    """Only an empty folder goes: no subfolders and no documents, archived ones included."""
    async with unit_of_work(sessions) as session:
        reader = await reader_of(session, identity)
        folder = await editable_folder(session, reader, folder_id)
        has_children = await session.scalar(select(exists().where(Folder.parent_id == folder.id)))
        has_documents = await session.scalar(
            select(exists().where(Document.folder_id == folder.id))
        )
        if has_children or has_documents:
            raise Invalid({"folder": N_("the folder is not empty")})
        await session.delete(folder)
