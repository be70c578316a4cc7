"""Text extraction in the background: jobs claimed with SKIP LOCKED, retried, their status kept.

A worker claims one due job (`FOR UPDATE SKIP LOCKED`, so replicas never take the same one),
leases it for a while and counts the attempt, then extracts outside any transaction. A worker
that dies leaves the lease to run out, and another takes the job again.
"""

import asyncio
import contextlib
import logging
import tempfile
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, or_, select

from services.knowledge.domain.text import pieces
from services.knowledge.extractors import Unsupported, extract
from services.knowledge.storage import ContentStore
from services.knowledge.tables import DocumentVersion, Extraction, TextPiece
from services.knowledge.usecases.indexing import reindex_content
from shared.db import SessionFactory, unit_of_work

log = logging.getLogger(__name__)

ATTEMPTS = 3
LEASE = timedelta(minutes=10)


async def _claim(sessions: SessionFactory, now: datetime) -> Extraction | None:
    async with unit_of_work(sessions) as session:
        job = await session.scalar(
            select(Extraction)
            .where(
                or_(Extraction.status == "pending", Extraction.status == "running"),
                Extraction.run_after <= now,
            )
            .order_by(Extraction.run_after)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if job is None:
            return None
        if job.attempts >= ATTEMPTS:  # a worker died on it every time
            job.status, job.error = "failed", job.error or "the extraction never finished"
            return job
        job.status, job.attempts, job.run_after = "running", job.attempts + 1, now + LEASE
        return job


async def _text_of(store: ContentStore, sha256: str, size: int, media_type: str) -> tuple[str, int]:
    """Copy the content to a temporary file and read its text there, in a worker thread."""
    with tempfile.TemporaryFile() as file:
        if size:
            async for chunk in store.read(sha256, 0, size - 1):
                await asyncio.to_thread(file.write, chunk)
        await asyncio.to_thread(file.seek, 0)
        return await asyncio.to_thread(extract, file, media_type)


async def extract_next(sessions: SessionFactory, store: ContentStore, *, now: datetime) -> bool:
    """Work one due job, if any; whether there was one."""
    job = await _claim(sessions, now)
    if job is None or job.status == "failed":
        return job is not None
    async with sessions() as session:
        size = await session.scalar(
            select(DocumentVersion.size).where(DocumentVersion.sha256 == job.sha256).limit(1)
        )
    try:
        text, pages = await _text_of(store, job.sha256, size or 0, job.media_type)
        await _finish(sessions, job.sha256, status="done", now=now, text=text, pages=pages)
    except Unsupported:
        await _finish(sessions, job.sha256, status="unsupported", now=now)
    except Exception as error:  # a broken file, or a text its index refused: say why, try
        # again later, then give up (the job is not left running until its lease ends)
        log.warning("extracting text from %s failed: %s", job.sha256, error)
        await _retry(sessions, job.sha256, f"{type(error).__name__}: {error}"[:500], now)
    return True


async def _finish(
    sessions: SessionFactory,
    sha256: str,
    *,
    status: str,
    now: datetime,
    text: str = "",
    pages: int = 0,
) -> None:
    async with unit_of_work(sessions) as session:
        job = await session.get(Extraction, sha256, with_for_update=True)
        if job is None:
            return
        job.status, job.text, job.pages, job.finished_at, job.error = status, text, pages, now, None
        await session.execute(delete(TextPiece).where(TextPiece.sha256 == sha256))
        if status == "done":
            rows = [{"sha256": sha256, "number": n, "text": t} for n, t in enumerate(pieces(text))]
            if rows:
                await session.execute(insert(TextPiece), rows)
            await reindex_content(session, sha256, text)


async def _retry(sessions: SessionFactory, sha256: str, error: str, now: datetime) -> None:
    async with unit_of_work(sessions) as session:
        job = await session.get(Extraction, sha256, with_for_update=True)
        if job is None:
            return
        job.error = error
        if job.attempts >= ATTEMPTS:
            job.status, job.finished_at = "failed", now
        else:
            job.status, job.run_after = "pending", now + timedelta(seconds=30 * job.attempts)


class Extractor:
    """Works due jobs until stopped: at once while there are some, else every `interval`."""

    def __init__(self, sessions: SessionFactory, store: ContentStore, interval: float) -> None:
        self._sessions = sessions
        self._store = store
        self._interval = interval
        self._stopping = asyncio.Event()
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        self._wakeup.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                if await extract_next(self._sessions, self._store, now=datetime.now(UTC)):
                    continue
            except Exception:  # the database may be away for a moment; try again later
                log.exception("knowledge: extracting text failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._interval)
            self._wakeup.clear()
