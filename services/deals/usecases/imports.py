"""CSV import jobs: a file's rows imported batch by batch, with progress and the rejected rows kept.

A file is read whole first (`domain/sheet.py`): one that is not UTF-8 CSV, is too large, or lacks
a required column is refused before anything is imported. Its rows then go in batches of
`BATCH_ROWS` (`import_records.py`): each batch checked by the API's own rules and written in one
transaction together with the job's progress and its rejected rows, so a batch is all or nothing
and the job's counts always match what is in the database. While one batch is written the next
is read and checked.

A job's worker holds a PostgreSQL advisory lock on a connection of its own while it runs: a
worker that dies (a crash, kill -9, a lost node) lets go of it with its connection. A job still
`running` whose lock is free has lost its worker: it is marked `interrupted` (with the counts of
what was committed) when the service starts, when an import begins and when the job is looked
at. A service asked to stop interrupts its imports itself. The file is kept with the job until
it is done, so an interrupted (or failed) job is resumed from the first row not committed.
"""

import asyncio
import contextlib
import csv
import io
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import undefer

from services.deals.domain.sheet import Sheet, defused
from services.deals.imports_table import ImportJob
from services.deals.tables import CustomField
from services.deals.usecases.deal_rules import load_catalogue
from services.deals.usecases.import_records import (
    CompanyImporter,
    ContactImporter,
    DealImporter,
    Importer,
    Write,
)
from services.deals.usecases.import_rows import (
    Batch,
    ImportContext,
    Rejection,
    load_directory,
    read_rows,
)
from shared.auth import Identity
from shared.db import SessionFactory, unit_of_work
from shared.errors import Conflict, NotFound
from shared.i18n import translate
from shared.text import N_

log = logging.getLogger(__name__)

BATCH_ROWS = 1000
INTERRUPTED = N_("the import stopped: the service was stopped while it ran")
LOST = N_("the import stopped: the service running it ended unexpectedly")
UNFINISHED = ("interrupted", "failed")
_LOCK = text("SELECT pg_try_advisory_lock(hashtextextended(:key, 0))")
_UNLOCK = text("SELECT pg_advisory_unlock(hashtextextended(:key, 0))")
_LOCKED_BY_NOBODY = text("SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0))")


def _key(job_id: UUID) -> str:
    return f"import_job:{job_id}"


async def custom_field_keys(sessions: SessionFactory, record_type: str) -> list[str]:
    """The keys `custom.<key>` columns may name (deals only: contacts and companies have none)."""
    if record_type != "deal":
        return []
    async with sessions() as session:
        query = select(CustomField.key).where(CustomField.record_type == "deal")
        return list(await session.scalars(query))


@dataclass
class Tally:
    """The rows of the batches committed so far."""

    processed: int = 0
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0

    @classmethod
    def of(cls, job: ImportJob) -> "Tally":
        return cls(job.processed, job.imported, job.updated, job.skipped, job.rejected)

    def counts(self, batch: Batch | None = None) -> dict[str, int]:
        """The job's counts, with `batch` added if given."""
        more = batch or Batch(size=0)
        return {
            "processed": self.processed + more.size,
            "imported": self.imported + more.imported,
            "updated": self.updated + more.updated,
            "skipped": self.skipped + more.skipped,
            "rejected": self.rejected + len(more.rejections),
        }

    def add(self, batch: Batch) -> None:
        self.processed += batch.size
        self.imported += batch.imported
        self.updated += batch.updated
        self.skipped += batch.skipped
        self.rejected += len(batch.rejections)


def _writer(sheet: Sheet) -> tuple[io.StringIO, Any]:
    out = io.StringIO()
    return out, csv.writer(out, delimiter=sheet.delimiter, lineterminator="\r\n")


def rejected_header(sheet: Sheet, locale: str = "en") -> str:
    """The first line of `rejected.csv`: the file's header, then `row` and `error` in the
    language of the one importing (as the reasons are)."""
    out, writer = _writer(sheet)
    added = (translate(N_("row"), locale), translate(N_("error"), locale))
    writer.writerow([*(defused(name) for name in sheet.header), *added])
    return out.getvalue()


def rejected_lines(sheet: Sheet, rejections: list[Rejection]) -> str:
    """The rejected rows as they were in the file (a cell a spreadsheet would run as a formula
    defused, as exports do), each with its line and the reasons."""
    out, writer = _writer(sheet)
    width = len(sheet.header)
    for rejection in sorted(rejections, key=lambda r: r.line):
        cells = (rejection.cells + [""] * width)[:width]  # `row` and `error` stay in their columns
        writer.writerow([*(defused(cell) for cell in cells), rejection.line, rejection.error])
    return out.getvalue()


# --- Who runs a job ---------------------------------------------------------------------------


class WorkerLock:
    """A job's advisory lock, held on a connection of its own while its worker runs."""

    def __init__(self, job_id: UUID, connection: AsyncConnection) -> None:
        self.job_id, self._connection = job_id, connection

    @classmethod
    async def take(cls, sessions: SessionFactory, job_id: UUID) -> "WorkerLock | None":
        """The lock, or None when another worker holds it."""
        engine: AsyncEngine = sessions.kw["bind"]
        connection = await engine.connect()
        try:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            if await connection.scalar(_LOCK, {"key": _key(job_id)}):
                return cls(job_id, connection)
        except BaseException:
            await connection.close()
            raise
        await connection.close()
        return None

    async def release(self) -> None:
        try:
            await self._connection.execute(_UNLOCK, {"key": _key(self.job_id)})
        except BaseException:  # never back into the pool with the lock held
            await self._connection.invalidate()
            raise
        finally:
            await self._connection.close()


async def interrupt_orphans(sessions: SessionFactory) -> int:
    """Mark `interrupted` the running jobs whose worker is gone (their lock is free); how many.

    Their counts stay those of the last committed batch: what is in the database.
    """
    async with unit_of_work(sessions, claims_key=False) as session:
        running = await session.scalars(
            select(ImportJob.id)
            .where(ImportJob.status == "running")
            .with_for_update(skip_locked=True)
        )
        gone = [
            job_id
            for job_id in list(running)
            if await session.scalar(_LOCKED_BY_NOBODY, {"key": _key(job_id)})
        ]
        if gone:
            await session.execute(
                update(ImportJob)
                .where(ImportJob.id.in_(gone))
                .values(status="interrupted", error=LOST, finished_at=func.now())
            )
    for job_id in gone:
        log.warning("import %s lost its worker: interrupted", job_id)
    return len(gone)


# --- The job's life -------------------------------------------------------------------------


async def start_job(
    sessions: SessionFactory,
    *,
    record_type: str,
    file_name: str | None,
    created_by: str,
    sheet: Sheet,
    content: bytes,
    mapping: Mapping[str, str] | None,
    locale: str = "en",
) -> tuple[ImportJob, WorkerLock]:
    """A new running job, its lock held by the caller, who runs it (`run_job`) or releases it.
    Jobs whose worker died meanwhile are interrupted first."""
    await interrupt_orphans(sessions)
    job_id = uuid4()
    lock = await WorkerLock.take(sessions, job_id)
    assert lock is not None  # a new id: nobody else can hold it
    try:
        async with unit_of_work(sessions) as session:
            job = ImportJob(
                id=job_id,
                record_type=record_type,
                file_name=file_name,
                created_by=created_by,
                status="running",
                total=len(sheet.rows),
                processed=0,
                imported=0,
                updated=0,
                skipped=0,
                rejected=0,
                rejected_csv=rejected_header(sheet, locale),
                content=content,
                mapping=dict(mapping) if mapping is not None else None,
                heartbeat_at=func.now(),
            )
            session.add(job)
            await session.flush()
            await session.refresh(job)
    except BaseException:
        await lock.release()
        raise
    return job, lock


@dataclass(frozen=True)
class Resumed:
    """An unfinished job taken up again: the file and mapping it was started with."""

    job: ImportJob
    lock: WorkerLock
    content: bytes
    mapping: dict[str, str] | None
    status: str  # as it was, and why
    error: str | None


async def resume_job(sessions: SessionFactory, *, identity: Identity, job_id: UUID) -> Resumed:
    """Take up an interrupted or failed job (its starter or an administrator) from its first row
    not committed: `running` again, its lock held by the caller, who runs it."""
    lock = await WorkerLock.take(sessions, job_id)
    if lock is None:
        raise Conflict({"status": N_("the import is running")})
    try:
        async with unit_of_work(sessions) as session:
            job = await session.get(
                ImportJob, job_id, with_for_update=True, options=[undefer(ImportJob.content)]
            )
            if job is None or (job.created_by != identity.user_id and identity.role != "admin"):
                raise NotFound("import")
            if job.status not in UNFINISHED or job.content is None:
                raise Conflict({"status": N_("only an interrupted or failed import is resumed")})
            was = (job.status, job.error)
            job.status, job.error, job.finished_at = "running", None, None
            job.heartbeat_at = func.now()
            await session.flush()
            await session.refresh(job)
    except BaseException:
        await lock.release()
        raise
    assert job.content is not None
    return Resumed(job, lock, job.content, job.mapping, *was)


async def abandon(sessions: SessionFactory, resumed: Resumed) -> None:
    """Leave a resumed job as it was (its file cannot be read any more, say)."""
    try:
        async with unit_of_work(sessions) as session:
            await session.execute(
                update(ImportJob)
                .where(ImportJob.id == resumed.job.id)
                .values(status=resumed.status, error=resumed.error, finished_at=func.now())
            )
    finally:
        await resumed.lock.release()


async def run_job(
    sessions: SessionFactory,
    *,
    job: ImportJob,
    lock: WorkerLock,
    sheet: Sheet,
    identity: Identity,
    today: date,
) -> None:
    """Import the rows of `sheet` from the first one the job has not committed and finish the
    job, then let go of its lock; never raises but when cancelled (the service is stopping:
    the job is `interrupted`)."""
    tally = Tally.of(job)
    context = ImportContext(sessions, identity, today, sheet)
    try:
        importer = await _importer(context, job.record_type)
        await _import_all(context, job.id, importer, tally, first=job.processed)
    except asyncio.CancelledError:  # the service is stopping: say so rather than run forever
        await _end(sessions, job.id, "interrupted", INTERRUPTED)
        raise
    except Exception as error:
        log.exception("import %s failed", job.id)
        await _end(sessions, job.id, "failed", f"{type(error).__name__}: {error}")
    else:
        await _end(sessions, job.id, "done", None)
    finally:
        with contextlib.suppress(Exception):
            await lock.release()


async def _importer(context: ImportContext, record_type: str) -> Importer:
    """The importer of `record_type`, with what it looks up once per import."""
    directory = await load_directory(context.sessions, record_type)
    if record_type == "company":
        return CompanyImporter(context, directory)
    if record_type == "contact":
        return ContactImporter(context, directory)
    async with context.sessions() as session:
        catalogue = await load_catalogue(session)
    return DealImporter(context, directory, catalogue)


async def _import_all(
    context: ImportContext, job_id: UUID, importer: Importer, tally: Tally, *, first: int = 0
) -> None:
    """Batch after batch from row `first`: each read and checked while the one before is being
    written."""
    writing: asyncio.Task[None] | None = None
    try:
        for start in range(first, len(context.sheet.rows), BATCH_ROWS):
            batch = Batch(size=0)
            rows = []
            for row in read_rows(context, context.sheet.rows[start : start + BATCH_ROWS]):
                batch.size += 1
                if isinstance(row, Rejection):
                    batch.rejections.append(row)
                else:
                    rows.append(row)
            write = await importer.prepare(rows, batch)
            if writing is not None:
                await writing  # one batch in the database at a time, in the file's order
            lines = rejected_lines(context.sheet, batch.rejections)
            writing = asyncio.create_task(
                _write(context.sessions, job_id, tally, batch, write, lines)
            )
        if writing is not None:
            await writing
    finally:
        if writing is not None and not writing.done():
            writing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writing


async def _write(
    sessions: SessionFactory,
    job_id: UUID,
    tally: Tally,
    batch: Batch,
    write: Write,
    rejected: str,
) -> None:
    """Write a batch, the job's progress and its rejected rows in one transaction; count it once
    committed. A job no longer `running` (interrupted meanwhile) takes no more rows."""
    async with unit_of_work(sessions) as session:
        await write(session)
        progress = await session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.status == "running")
            .values(
                **tally.counts(batch),
                rejected_csv=func.coalesce(ImportJob.rejected_csv, "") + rejected,
                heartbeat_at=func.now(),
            )
        )
        if progress.rowcount != 1:  # type: ignore[attr-defined]
            raise RuntimeError("the job was interrupted meanwhile")
    tally.add(batch)


async def _end(sessions: SessionFactory, job_id: UUID, status: str, error: str | None) -> None:
    """The job's end; its counts are those written with its last committed batch (a stop while
    a batch commits may leave the batch committed and not yet added to the tally here)."""
    values: dict[str, Any] = {
        "status": status,
        "error": error,
        "finished_at": func.now(),
        **({"content": None} if status == "done" else {}),  # kept to resume from
    }
    try:
        async with unit_of_work(sessions) as session:
            await session.execute(
                update(ImportJob)
                .where(ImportJob.id == job_id, ImportJob.status == "running")
                .values(**values)
            )
    except Exception:  # the database is gone too; the log is all that is left
        log.exception("import %s: the job could not be finished as %s", job_id, status)
