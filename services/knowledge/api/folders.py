"""`/api/folders`: the folder tree, with readers and editors."""

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter, Response, status
from sqlalchemy import select

from services.knowledge.schemas import FolderCreate, FolderPublic, FolderUpdate
from services.knowledge.tables import Folder
from services.knowledge.usecases import folders as usecases
from services.knowledge.usecases.access import reader_of
from services.knowledge.usecases.folders import Access
from shared.auth import CurrentIdentity
from shared.deps import Sessions
from shared.errors import NotFound

router = APIRouter(prefix="/api/folders", tags=["folders"])


@router.get("")
async def list_folders(sessions: Sessions, identity: CurrentIdentity) -> list[FolderPublic]:
    """Every folder the caller may read, parents before children, by name."""
    async with sessions() as session:
        reader = await reader_of(session, identity)
        query = select(Folder).order_by(Folder.name, Folder.id)
        if not reader.admin:
            query = query.where(Folder.id.in_(reader.readable))
        found = list(await session.scalars(query))
        access = await usecases.access_of(session, [f.id for f in found])
    return [FolderPublic.of(f, access[f.id], may_edit=reader.may_edit_folder(f.id)) for f in found]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_folder(
    body: FolderCreate, sessions: Sessions, identity: CurrentIdentity
) -> FolderPublic:
    access = None
    if body.readers is not None or body.editors is not None:
        access = Access(tuple(body.readers or ()), tuple(body.editors or ()))
    folder = await usecases.create_folder(
        sessions,
        identity=identity,
        name=body.name,
        parent_id=body.parent_id,
        access=access,
        now=datetime.now(UTC),
    )
    return await get_folder(folder.id, sessions, identity)


@router.get("/{folder_id}")
async def get_folder(
    folder_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> FolderPublic:
    async with sessions() as session:
        reader = await reader_of(session, identity)
        folder = await session.get(Folder, folder_id)
        if folder is None or not reader.may_read_folder(folder_id):
            raise NotFound("folder")
        access = await usecases.access_of(session, [folder_id])
    return FolderPublic.of(folder, access[folder_id], may_edit=reader.may_edit_folder(folder_id))


@router.patch("/{folder_id}")
async def update_folder(
    folder_id: UUID, body: FolderUpdate, sessions: Sessions, identity: CurrentIdentity
) -> FolderPublic:
    """Rename, or set the readers and editors (both lists replace the old ones when sent)."""
    access = None
    if body.readers is not None or body.editors is not None:
        async with sessions() as session:
            old = (await usecases.access_of(session, [folder_id]))[folder_id]
        access = Access(
            tuple(body.readers) if body.readers is not None else old.readers,
            tuple(body.editors) if body.editors is not None else old.editors,
        )
    await usecases.update_folder(
        sessions, identity=identity, folder_id=folder_id, name=body.name, access=access
    )
    return await get_folder(folder_id, sessions, identity)


@router.delete("/{folder_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_folder(folder_id: UUID, sessions: Sessions, identity: CurrentIdentity) -> Response:
    await usecases.delete_folder(sessions, identity=identity, folder_id=folder_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
