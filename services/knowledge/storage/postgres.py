"""Content in the knowledge database: a row per content and its 1 MiB chunks in order."""

from collections.abc import AsyncIterator

from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import insert as upsert

from services.knowledge.storage import CHUNK
from services.knowledge.tables import Content, ContentChunk
from shared.db import SessionFactory


class PostgresStore:
    """Each content is written in one transaction: a half-written one is never seen."""

    def __init__(self, sessions: SessionFactory, chunk_size: int = CHUNK) -> None:
        self._sessions = sessions
        self._chunk_size = chunk_size

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def has(self, sha256: str) -> bool:
        async with self._sessions() as session:
            return await session.get(Content, sha256) is not None

    async def put(self, sha256: str, size: int, chunks: AsyncIterator[bytes]) -> None:
        async with self._sessions() as session, session.begin():
            claim = (
                upsert(Content)
                .values(sha256=sha256, size=size, chunk_size=self._chunk_size)
                .on_conflict_do_nothing()
                .returning(Content.sha256)
            )
            if await session.scalar(claim) is None:
                return  # kept already (a concurrent writer waited for the first to commit)
            seq = 0
            async for chunk in _rechunked(chunks, self._chunk_size):
                await session.execute(
                    insert(ContentChunk).values(sha256=sha256, seq=seq, data=chunk)
                )
                seq += 1

    async def read(self, sha256: str, start: int, end: int) -> AsyncIterator[bytes]:
        async with self._sessions() as session:
            chunk_size = await session.scalar(
                select(Content.chunk_size).where(Content.sha256 == sha256)
            )
        if chunk_size is None:
            raise FileNotFoundError(sha256)
        position = start
        while position <= end:
            seq, offset = divmod(position, chunk_size)
            length = min(chunk_size - offset, end - position + 1)
            async with self._sessions() as session:
                piece = await session.scalar(
                    select(func.substring(ContentChunk.data, offset + 1, length)).where(
                        ContentChunk.sha256 == sha256, ContentChunk.seq == seq
                    )
                )
            if not piece:
                raise FileNotFoundError(f"{sha256}: chunk {seq} is missing")
            yield bytes(piece)
            position += len(piece)


async def _rechunked(chunks: AsyncIterator[bytes], size: int) -> AsyncIterator[bytes]:
    """The same bytes in pieces of exactly `size` (the last may be shorter)."""
    buffer = bytearray()
    async for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)
