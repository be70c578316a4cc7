"""CSV import jobs: a file's rows imported batch by batch, with progress and the rejected rows kept.

A file is read whole first (`domain/sheet.py`): one that is not UTF-8 CSV, is too large, or lacks
a required column is refused before anything is imported. Its rows then go in batches of
`BATCH_ROWS` (`import_records.py`): each batch checked by the API's own rules and written in one
transaction together with the job's progress, so a batch is all or nothing and the job's counts
always match what is in the database. While one batch is written the next is read and checked.

Each batch also beats the job's heartbeat; a job still `running` whose heartbeat stopped for
`STALE_AFTER` lost its process and is failed when the service starts or another import begins.
"""

import asyncio
import contextlib
import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, update

from services.deals.domain.sheet import Sheet
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
from shared.text import N_

log = logging.getLogger(__name__)

BATCH_ROWS = 1000
STALE_AFTER = timedelta(minutes=10)  # a batch takes about a second; ten minutes is no batch
INTERRUPTED = N_("the import stopped: the service was stopped while it ran")
LOST = N_("the import stopped: the service running it ended unexpectedly")


async def custom_field_keys(sessions: SessionFactory, record_type: str) -> list[str]:
    """The keys `custom.<key>` columns may name (deals only: contacts and companies have none)."""
    if record_type != "deal":
        return []
    async with sessions() as session:
        query = select(CustomField.key).where(CustomField.record_type == "deal")
        return list(await session.scalars(query))


@dataclass
class Tally:
    """The rows of the batches written so far."""

    processed: int = 0
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    def counts(self, batch: Batch | None = None) -> dict[str, int]:
        """The job's counts, with `batch` added if given."""
        more = batch or Batch(size=0)
        return {
            "processed": self.processed + more.size,
            "imported": self.imported + more.imported,
            "updated": self.updated + more.updated,
            "skipped": self.skipped + more.skipped,
            "rejected": len(self.rejections) + len(more.rejections),
        }

    def add(self, batch: Batch) -> None:
        self.processed += batch.size
        self.imported += batch.imported
        self.updated += batch.updated
        self.skipped += batch.skipped
        self.rejections += batch.rejections


def rejected_csv(sheet: Sheet, rejections: list[Rejection]) -> str:
    """The rejected rows as they were in the file, plus their line and the reasons."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sheet.delimiter, lineterminator="\r\n")
    writer.writerow([*sheet.header, "row", "error"])
    width = len(sheet.header)
    for rejection in sorted(rejections, key=lambda r: r.line):
        cells = (rejection.cells + [""] * width)[:width]  # `row` and `error` stay in their columns
        writer.writerow([*cells, rejection.line, rejection.error])
    return out.getvalue()


# --- The job's life -------------------------------------------------------------------------


async def fail_stale_jobs(sessions: SessionFactory) -> int:
    """Fail the running jobs whose heartbeat stopped (their process died); how many."""
    async with unit_of_work(sessions) as session:
        result = await session.execute(
            update(ImportJob)
            .where(
                ImportJob.status == "running",
                func.coalesce(ImportJob.heartbeat_at, ImportJob.created_at)
                < func.now() - STALE_AFTER,
            )
            .values(status="failed", error=LOST, finished_at=func.now())
            .returning(ImportJob.id)
        )
        failed = list(result.scalars())
    for job_id in failed:
        log.warning("import %s had no heartbeat for %s: failed", job_id, STALE_AFTER)
    return len(failed)


async def start_job(
    sessions: SessionFactory,
    *,
    record_type: str,
    file_name: str | None,
    created_by: str,
    total: int,
) -> ImportJob:
    """A new running job (and any job whose process died meanwhile failed)."""
    await fail_stale_jobs(sessions)
    async with unit_of_work(sessions) as session:
        job = ImportJob(
            record_type=record_type,
            file_name=file_name,
            created_by=created_by,
            status="running",
            total=total,
            processed=0,
            imported=0,
            updated=0,
            skipped=0,
            rejected=0,
            heartbeat_at=func.now(),
        )
        session.add(job)
        await session.flush()
        await session.refresh(job)
    return job


async def run_job(
    sessions: SessionFactory,
    *,
    job_id: UUID,
    record_type: str,
    sheet: Sheet,
    identity: Identity,
    today: date,
) -> None:
    """Import every row of `sheet` and finish the job; never raises: a failure fails the job."""
    tally = Tally()
    context = ImportContext(sessions, identity, today, sheet)
    try:
        await _import_all(context, job_id, await _importer(context, record_type), tally)
    except asyncio.CancelledError:  # the service is stopping: say so rather than run forever
        await _end(sessions, job_id, sheet, tally, "failed", INTERRUPTED)
        raise
    except Exception as error:
        log.exception("import %s failed", job_id)
        await _end(sessions, job_id, sheet, tally, "failed", f"{type(error).__name__}: {error}")
    else:
        await _end(sessions, job_id, sheet, tally, "done", None)


async def _importer(context: ImportContext, record_type: str) -> Importer:
    """The importer of `record_type`, with what it looks up once per import."""
    if record_type == "company":
        return CompanyImporter(context)
    directory = await load_directory(context.sessions, record_type)
    if record_type == "contact":
        return ContactImporter(context, directory)
    async with context.sessions() as session:
        catalogue = await load_catalogue(session)
    return DealImporter(context, directory, catalogue)


async def _import_all(
    context: ImportContext, job_id: UUID, importer: Importer, tally: Tally
) -> None:
    """Batch after batch: each read and checked while the one before is being written."""
    writing: asyncio.Task[None] | None = None
    try:
        for start in range(0, len(context.sheet.rows), BATCH_ROWS):
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
            writing = asyncio.create_task(_write(context.sessions, job_id, tally, batch, write))
        if writing is not None:
            await writing
    finally:
        if writing is not None and not writing.done():
            writing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writing


async def _write(
    sessions: SessionFactory, job_id: UUID, tally: Tally, batch: Batch, write: Write
) -> None:
    """Write a batch and the job's progress in one transaction; count it once committed."""
    async with unit_of_work(sessions) as session:
        await write(session)
        await session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id)
            .values(**tally.counts(batch), heartbeat_at=func.now())
        )
    tally.add(batch)


async def _end(
    sessions: SessionFactory,
    job_id: UUID,
    sheet: Sheet,
    tally: Tally,
    status: str,
    error: str | None,
) -> None:
    values: dict[str, Any] = {
        **tally.counts(),
        "status": status,
        "error": error,
        "rejected_csv": rejected_csv(sheet, tally.rejections),
        "finished_at": func.now(),
    }
    try:
        async with unit_of_work(sessions) as session:
            await session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))
    except Exception:  # the database is gone too; the log is all that is left
        log.exception("import %s: the job could not be finished as %s", job_id, status)
