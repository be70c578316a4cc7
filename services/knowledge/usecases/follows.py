"""Following a folder: its new documents and versions come to the follower as posts."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge.feed_tables import FolderFollow
from services.knowledge.tables import Folder
from services.knowledge.usecases.access import reader_of
from shared.auth import Identity
from shared.db import SessionFactory, unit_of_work
from shared.errors import NotFound


async def follow(
    sessions: SessionFactory, *, identity: Identity, folder_id: UUID, now: datetime
) -> None:
    """Follow a folder one may read (again: nothing changes)."""
    async with unit_of_work(sessions) as session:
        reader = await reader_of(session, identity)
        if await session.get(Folder, folder_id) is None or not reader.may_read_folder(folder_id):
            raise NotFound("folder")
        await session.execute(
            insert(FolderFollow)
            .values(folder_id=folder_id, user_id=reader.user_id, created_at=now)
            .on_conflict_do_nothing()
        )


async def unfollow(sessions: SessionFactory, *, identity: Identity, folder_id: UUID) -> None:
    async with unit_of_work(sessions) as session:
        await session.execute(
            delete(FolderFollow).where(
                FolderFollow.folder_id == folder_id, FolderFollow.user_id == UUID(identity.user_id)
            )
        )


async def followed(session: AsyncSession, user_id: UUID) -> list[UUID]:
    rows = await session.scalars(
        select(FolderFollow.folder_id).where(FolderFollow.user_id == user_id)
    )
    return list(rows)
