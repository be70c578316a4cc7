"""`/api/imports` and `/api/export`: companies, contacts and deals in and out as CSV files."""

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import (
    APIRouter,
    File,
    Form,
    HTTPException,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)
from fastapi.responses import StreamingResponse
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import undefer

from services.deals.domain import sheet as csv_sheet
from services.deals.imports_table import ImportJob
from services.deals.schemas import DealFilters, ImportJobPublic
from services.deals.tables import Company, Contact, CustomField, Deal, Stage
from services.deals.usecases import imports as usecases
from services.deals.usecases.customer_access import customer_readers, visible_customers
from services.deals.usecases.deal_reads import filtered
from services.deals.usecases.deals import visible_deals
from shared.auth import CurrentIdentity, Identity
from shared.deps import Sessions
from shared.errors import NotFound
from shared.i18n import translate
from shared.pagination import Cursor, Limit, Page, keyset, page_of
from shared.text import N_

router = APIRouter(prefix="/api", tags=["import and export"])

_MAPPING = TypeAdapter(dict[str, str])
AnySelect = Select[*tuple[Any, ...]]
BATCH = 1000
TIMES = ["created_at", "updated_at"]


def _today() -> date:
    return datetime.now(UTC).date()


def _bad_file(bad: csv_sheet.BadFile, locale: str) -> HTTPException:
    """FastAPI's error shape, each problem naming where (and which column) in the caller's
    language, and the headers that would have done (`choices`) when there are any."""
    detail = [
        {
            "loc": ["body", problem.where, *([problem.subject] if problem.subject else [])],
            "msg": _said(problem, locale),
            "type": "value_error",
            **({"ctx": {"choices": list(problem.choices)}} if problem.choices else {}),
        }
        for problem in bad.problems
    ]
    return HTTPException(bad.status_code, detail)


def _said(problem: csv_sheet.Problem, locale: str) -> str:
    what = ", ".join(problem.choices) if problem.choices else problem.subject
    return translate(problem.message, locale) + (f": {what}" if what else "")


def _mapping(mapping: str | None, locale: str) -> dict[str, str] | None:
    if mapping is None or not mapping.strip():
        return None
    try:
        return _MAPPING.validate_json(mapping)
    except ValidationError:
        problem = csv_sheet.Problem("mapping", N_('a JSON object {"CSV column": "field"} expected'))
        raise _bad_file(csv_sheet.BadFile(problem), locale) from None


@router.post(
    "/imports",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        201: {"description": "with `wait=true`: the import is done", "model": ImportJobPublic},
        413: {"description": "more than 10 MB or 50,000 rows"},
        422: {"description": "not a UTF-8 CSV file, a required column missing, a bad mapping"},
    },
)
async def start_import(
    file: Annotated[UploadFile, File(description="CSV, UTF-8, `,` or `;` separated, a header")],
    record_type: Annotated[csv_sheet.RecordType, Form()],
    request: Request,
    sessions: Sessions,
    identity: CurrentIdentity,
    response: Response,
    mapping: Annotated[
        str | None,
        Form(description='JSON {"CSV column": "field"}; by default columns named as fields'),
    ] = None,
    wait: Annotated[bool, Query(description="import before answering")] = False,
) -> ImportJobPublic:
    """Start importing; poll `GET /api/imports/{id}` until `status` is `done` (or `failed`)."""
    if file.size is not None and file.size > csv_sheet.MAX_BYTES:
        too_large = csv_sheet.Problem("file", N_("the file is larger than 10 MB"))
        raise _bad_file(csv_sheet.TooLarge(too_large), identity.locale)
    data = await file.read(csv_sheet.MAX_BYTES + 1)
    columns = _mapping(mapping, identity.locale)
    sheet = await _sheet(sessions, data, record_type, columns, identity.locale)
    job, lock = await usecases.start_job(
        sessions,
        record_type=record_type,
        file_name=file.filename,
        created_by=identity.user_id,
        sheet=sheet,
        content=data,
        mapping=columns,
        locale=identity.locale,
    )
    return await _run(request, job, lock, sheet, identity, response, wait=wait)


async def _sheet(
    sessions: Sessions,
    data: bytes,
    record_type: str,
    columns: dict[str, str] | None,
    locale: str,
) -> csv_sheet.Sheet:
    keys = await usecases.custom_field_keys(sessions, record_type)
    try:
        # parsing 10 MB takes a moment: in a thread, so other requests are served meanwhile
        return await asyncio.to_thread(
            csv_sheet.read_sheet, data, record_type, columns, keys, locale=locale
        )
    except csv_sheet.BadFile as bad:
        raise _bad_file(bad, locale) from None


async def _run(
    request: Request,
    job: ImportJob,
    lock: usecases.WorkerLock,
    sheet: csv_sheet.Sheet,
    identity: Identity,
    response: Response,
    *,
    wait: bool,
) -> ImportJobPublic:
    """Run the job now (`wait`) or in the background, kept in the app's running imports (which
    a stopping service interrupts)."""
    sessions = request.app.state.sessions
    run = usecases.run_job(
        sessions, job=job, lock=lock, sheet=sheet, identity=identity, today=_today()
    )
    if wait:
        await run
        response.status_code = status.HTTP_201_CREATED
        job = await _job(sessions, identity, job.id)
    else:
        # The set holds each task until it ends (asyncio keeps only a weak reference).
        running: set[asyncio.Task[None]] = request.app.state.imports
        task = asyncio.create_task(run, name=f"import-{job.id}")
        running.add(task)
        task.add_done_callback(running.discard)
    return _public(job, identity.locale)


@router.post(
    "/imports/{job_id}/resume",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        201: {"description": "with `wait=true`: the import is done", "model": ImportJobPublic},
        409: {"description": "the import is running, or done"},
    },
)
async def resume_import(
    job_id: UUID,
    request: Request,
    sessions: Sessions,
    identity: CurrentIdentity,
    response: Response,
    wait: Annotated[bool, Query(description="import before answering")] = False,
) -> ImportJobPublic:
    """Take up an interrupted (or failed) import from the first row it had not committed."""
    await usecases.interrupt_orphans(sessions)
    resumed = await usecases.resume_job(sessions, identity=identity, job_id=job_id)
    try:
        job = resumed.job
        sheet = await _sheet(
            sessions, resumed.content, job.record_type, resumed.mapping, identity.locale
        )
    except BaseException:
        await usecases.abandon(sessions, resumed)
        raise
    return await _run(request, job, resumed.lock, sheet, identity, response, wait=wait)


def _public(job: ImportJob, locale: str) -> ImportJobPublic:
    """The job as answered; why it failed in the caller's language (when it is our own words)."""
    public = ImportJobPublic.model_validate(job)
    if public.error is None:
        return public
    return public.model_copy(update={"error": translate(public.error, locale)})


@router.get("/imports")
async def list_imports(
    sessions: Sessions, identity: CurrentIdentity, limit: Limit = 50, cursor: Cursor = None
) -> Page[ImportJobPublic]:
    """The caller's imports (an administrator's: everyone's), newest first, with their counts."""
    await usecases.interrupt_orphans(sessions)
    query = select(ImportJob)
    if identity.role != "admin":
        query = query.where(ImportJob.created_by == identity.user_id)
    query = keyset(
        query,
        (ImportJob.created_at, ImportJob.id),
        cursor=cursor,
        types=(datetime.fromisoformat, UUID),
        limit=limit,
        descending=True,
    )
    async with sessions() as session:
        jobs = (await session.scalars(query)).all()
    return page_of(
        [_public(job, identity.locale) for job in jobs],
        limit,
        key=lambda job: (job.created_at.isoformat(), job.id),
    )


async def _job(
    sessions: Sessions, identity: Identity, job_id: UUID, *, with_rows: bool = False
) -> ImportJob:
    """The job, to the one who started it or an administrator; to anyone else it is not there."""
    rows = [undefer(ImportJob.rejected_csv)] if with_rows else []
    async with sessions() as session:
        job = await session.get(ImportJob, job_id, options=rows)
    if job is None or (job.created_by != identity.user_id and identity.role != "admin"):
        raise NotFound("import")
    return job


@router.get("/imports/{job_id}")
async def get_import(
    job_id: UUID, sessions: Sessions, identity: CurrentIdentity
) -> ImportJobPublic:
    """The job and its progress; one whose worker is gone reads `interrupted`, never `running`."""
    job = await _job(sessions, identity, job_id)
    if job.status == "running" and await usecases.interrupt_orphans(sessions):
        job = await _job(sessions, identity, job_id)
    return _public(job, identity.locale)


@router.get(
    "/imports/{job_id}/rejected.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, 409: {"description": "still running"}},
)
async def rejected_rows(job_id: UUID, sessions: Sessions, identity: CurrentIdentity) -> Response:
    """The rejected rows as in the file, with `row` (its line) and `error` (why)."""
    job = await _job(sessions, identity, job_id, with_rows=True)
    if job.status == "running":
        message = translate(N_("the import is still running"), identity.locale)
        raise HTTPException(status.HTTP_409_CONFLICT, message)
    return Response(
        "\ufeff" + (job.rejected_csv or ""),  # the BOM tells Excel the file is UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{job.id}-rejected.csv"'},
    )


# --- Export -----------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    """ISO dates, plain decimals; text a spreadsheet would run as a formula is defused with `'`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | int | float | UUID):
        return str(value)
    return csv_sheet.defused(str(value))


def _csv(rows: Sequence[Sequence[Any]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([[_cell(v) for v in row] for row in rows])
    return out.getvalue()


async def _stream(sessions: Sessions, query: AnySelect, key: tuple[Any, Any]) -> AsyncIterator[str]:
    """`query`'s rows as CSV under a header of their labels, fetched in batches by `key` (keyset),
    each batch in a short session, so memory stays flat and no transaction waits on the client.
    """
    header = [column.name for column in query.selected_columns]
    yield "\ufeff" + _csv([header])  # the BOM tells Excel the file is UTF-8
    after: tuple[Any, ...] | None = None
    while True:
        page = query.order_by(*key).limit(BATCH)
        if after is not None:
            page = page.where(tuple_(*key) > tuple_(*after))
        async with sessions() as session:
            rows = (await session.execute(page)).all()
        if rows:
            yield _csv(rows)
        if len(rows) < BATCH:
            return
        after = tuple(rows[-1]._mapping[column.key] for column in key)


def _companies(visible: Any) -> AnySelect:
    """The companies not archived (an archived one is history, not a customer to take along)."""
    columns = ["id", "name", "tax_id", "street", "postal_code", "city", "country"]
    query = select(*(Company.__table__.c[name] for name in [*columns, *TIMES]))
    return query.where(Company.archived_at.is_(None), visible)


def _contacts(company_id: UUID | None, visible: Any) -> AnySelect:
    query = select(
        Contact.id,
        Contact.name,
        Contact.company_id,
        Company.tax_id.label("company_tax_id"),
        Company.name.label("company_name"),
        Contact.position,
        Contact.phone,
        Contact.email,
        Contact.created_at,
        Contact.updated_at,
    ).outerjoin(Company, Company.id == Contact.company_id)
    query = query.where(Contact.archived_at.is_(None), visible)
    return query if company_id is None else query.where(Contact.company_id == company_id)


def _deals(identity: Identity, filters: DealFilters, custom_keys: Sequence[str]) -> AnySelect:
    """The deals `identity` may see, with every custom field as a column, set or not."""
    custom = [Deal.custom[key].astext.label(csv_sheet.CUSTOM + key) for key in custom_keys]
    query = (
        select(
            Deal.id,
            Deal.title,
            Deal.company_id,
            Company.tax_id.label("company_tax_id"),
            Company.name.label("company_name"),
            Deal.owner_id,
            Deal.amount,
            Deal.currency,
            Deal.expected_close_date,
            Deal.pipeline_id,
            Deal.stage_id,
            Stage.name.label("stage"),
            Deal.probability,
            Deal.source,
            Deal.lost_reason,
            *custom,
            Deal.created_at,
            Deal.updated_at,
        )
        .join(Company, Company.id == Deal.company_id)
        .join(Stage, Stage.id == Deal.stage_id)
        .where(visible_deals(identity))
    )
    return filtered(query, filters)


async def _custom_keys(sessions: Sessions) -> list[str]:
    async with sessions() as session:
        query = (
            select(CustomField.key)
            .where(CustomField.record_type == "deal")
            .order_by(CustomField.created_at, CustomField.key)
        )
        return list(await session.scalars(query))


@router.get(
    "/export/{record_type}.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
async def export(
    record_type: csv_sheet.RecordType,
    sessions: Sessions,
    identity: CurrentIdentity,
    filters: Annotated[DealFilters, Query()],
) -> StreamingResponse:
    """Every record the caller may see as CSV: UTF-8 with BOM, ISO dates.

    The filters are those of the lists: all of them for deals, `company_id` for contacts.
    The file's columns are import fields, so it can be imported again (ids aside).
    """
    async with sessions() as session:
        readers = await customer_readers(session)
    if record_type == "company":
        visible = visible_customers(identity, Company.owner_id, readers)
        body = _stream(sessions, _companies(visible), (Company.name, Company.id))
    elif record_type == "contact":
        visible = visible_customers(identity, Contact.owner_id, readers)
        query = _contacts(filters.company_id, visible)
        body = _stream(sessions, query, (Contact.name, Contact.id))
    else:
        query = _deals(identity, filters, await _custom_keys(sessions))
        body = _stream(sessions, query, (Deal.created_at, Deal.id))
    stamp = _today().isoformat()
    return StreamingResponse(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{record_type}-{stamp}.csv"'},
    )
