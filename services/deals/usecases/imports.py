"""Importing companies, contacts and deals from CSV, every row by the rules of the API.

A file is read whole first (`read_sheet`): one that is not UTF-8 CSV, is too large, or lacks a
required column is refused before anything is imported. Then each row is validated with the
router's pydantic model and created by the use case the API calls, in its own unit of work, so a
bad row is reported (line, field, message) and never undoes the others.

A company is named by `company_id`, `company_tax_id` or `company_name` (the first one given), a
stage by `stage_id` or `stage` (its name in the default pipeline); both are looked up once per
import. Numbers may use a decimal comma and dates may be DD.MM.YYYY, as Polish Excel writes them.
"""

import asyncio
import csv
import io
import logging
import re
import time
from collections.abc import Awaitable, Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select, update

from services.deals.domain.nip import normalize_nip
from services.deals.domain.sheet import (
    ADDRESS,
    COMPANY_REFS,
    CUSTOM,
    Sheet,
    unescape,
)
from services.deals.imports_table import ImportJob
from services.deals.schemas import CompanyCreate, ContactCreate, DealCreate
from services.deals.tables import Company, CustomField, Pipeline, Stage
from services.deals.usecases.companies import create_company
from services.deals.usecases.contacts import create_contact
from services.deals.usecases.deals import RequirementsUnmet, create_deal
from shared.auth import Identity
from shared.contracts.deals import Address
from shared.db import SessionFactory, unit_of_work
from shared.errors import Forbidden, Invalid
from shared.i18n import translate
from shared.text import N_

log = logging.getLogger(__name__)
# A running job shows its progress after this many rows or seconds, whichever comes first.
PROGRESS_ROWS, PROGRESS_SECONDS = 100, 1.0
# Rows in flight at once, each its own transaction: one row's Python work overlaps the other's
# database round trip (x1.2 for deals). More gain nothing (measured): the work is CPU-bound in
# this process, and deals of one stage and owner queue on the same `deal_tally` row anyway.
# Companies go one by one, so that of two rows with one NIP the first in the file is imported.
WORKERS = {"company": 1, "contact": 2, "deal": 2}
_DOTTED_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_YES, _NO = {"true", "1", "yes", "tak", "t", "y"}, {"false", "0", "no", "nie", "f", "n"}


async def custom_field_keys(sessions: SessionFactory, record_type: str) -> list[str]:
    """The keys `custom.<key>` columns may name (deals only: contacts and companies have none)."""
    if record_type != "deal":
        return []
    async with sessions() as session:
        query = select(CustomField.key).where(CustomField.record_type == "deal")
        return list(await session.scalars(query))


# --- Looking things up once per import ------------------------------------------------------


@dataclass(frozen=True)
class Lookups:
    companies_by_tax_id: dict[str, UUID] = field(default_factory=dict)
    # None: more than one company has the name, so a name alone cannot say which.
    companies_by_name: dict[str, UUID | None] = field(default_factory=dict)
    stages_by_name: dict[str, UUID] = field(default_factory=dict)
    # `create_deal`'s default, given outright: it saves looking up the default pipeline per row.
    first_stage_id: UUID | None = None
    custom_types: dict[str, str] = field(default_factory=dict)


async def load_lookups(sessions: SessionFactory, record_type: str) -> Lookups:
    if record_type == "company":
        return Lookups()
    async with sessions() as session:
        by_tax_id, by_name = {}, {}
        for company_id, name, tax_id in await session.execute(
            select(Company.id, Company.name, Company.tax_id)
        ):
            if tax_id:
                by_tax_id[tax_id] = company_id
            key = _name_key(name)
            by_name[key] = None if key in by_name else company_id
        if record_type == "contact":
            return Lookups(companies_by_tax_id=by_tax_id, companies_by_name=by_name)
        stages = (
            await session.execute(
                select(Stage.name, Stage.id)
                .join(Pipeline)
                .where(Pipeline.is_default.is_(True))
                .order_by(Stage.position)
            )
        ).all()
        fields = await session.execute(
            select(CustomField.key, CustomField.type).where(CustomField.record_type == "deal")
        )
        return Lookups(
            companies_by_tax_id=by_tax_id,
            companies_by_name=by_name,
            stages_by_name={_name_key(name): stage_id for name, stage_id in stages},
            first_stage_id=stages[0].id if stages else None,
            custom_types={key: kind for key, kind in fields},
        )


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


# --- One row --------------------------------------------------------------------------------

# A reason a row was rejected: the field (None: the row as a whole) and the message, translated.
Reason = tuple[str | None, str]


class Rejected(Exception):
    def __init__(self, reasons: list[Reason]) -> None:
        super().__init__("; ".join(message for _, message in reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class Context:
    sessions: SessionFactory
    identity: Identity
    today: date
    lookups: Lookups

    def translate(self, message: str) -> str:
        return translate(message, self.identity.locale)


class DealImport(DealCreate):
    """`DealCreate` and, as imported deals may already be lost, the reason."""

    lost_reason: Annotated[str, Field(max_length=100)] | None = None


def _number(value: str) -> str:
    """`1 234,56` (Polish Excel) -> `1234.56`; anything else is left for the model to judge."""
    compact = value.replace(" ", "").replace("\u00a0", "")
    return compact.replace(",", ".") if "," in compact and "." not in compact else compact


def _date(value: str) -> str:
    """DD.MM.YYYY -> YYYY-MM-DD; anything else is left for the model to judge."""
    dotted = _DOTTED_DATE.match(value)
    if dotted is None:
        return value
    day, month, year = dotted.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _custom(kind: str | None, value: str) -> Any:
    """A cell as the custom field's reader expects it (it judges the value itself)."""
    if kind == "boolean" and value.lower() in _YES | _NO:
        return value.lower() in _YES
    if kind == "date":
        return _date(value)
    if kind in ("number", "money"):
        return _number(value)
    return value


def _company(lookups: Lookups, values: dict[str, str]) -> tuple[str | UUID | None, list[Reason]]:
    """The company the row names by id, NIP or name (the first given); None when none is."""
    if "company_id" in values:
        return values["company_id"], []  # the model checks the form, the use case that it exists
    if "company_tax_id" in values:
        try:
            nip = normalize_nip(values["company_tax_id"])
        except ValueError as error:
            return None, [("company_tax_id", str(error))]
        found = lookups.companies_by_tax_id.get(nip)
        return found, ([] if found else [("company_tax_id", N_("no company with this NIP"))])
    if "company_name" in values:
        key = _name_key(values["company_name"])
        if key not in lookups.companies_by_name:
            return None, [("company_name", N_("no company with this name"))]
        found = lookups.companies_by_name[key]
        problem = N_("more than one company has this name; give the NIP instead")
        return found, ([] if found else [("company_name", problem)])
    return None, []


M = TypeVar("M", bound=BaseModel)


def _validate(
    model: type[M], data: dict[str, Any], reasons: list[Reason], explained: Collection[str]
) -> M | None:
    """The row as `model`, or None with the model's reasons added (but for fields `explained`)."""
    try:
        valid = model.model_validate(data)
    except ValidationError as error:
        for problem in error.errors():
            name = _field_of(problem["loc"])
            if name not in explained:
                reasons.append((name, problem["msg"]))
        return None
    return valid if not reasons else None


def _field_of(loc: tuple[int | str, ...]) -> str | None:
    names = [str(part) for part in loc if isinstance(part, str)]
    if names[:1] == ["address"]:  # the file has the address parts as columns of their own
        names = names[1:]
    return names[0] if names else None


async def _import_company(context: Context, values: dict[str, str]) -> None:
    reasons: list[Reason] = []
    address = {name: values[name] for name in ADDRESS if name in values}
    data = {"name": values.get("name"), "tax_id": values.get("tax_id")}
    body = _validate(CompanyCreate, {**data, "address": address or None}, reasons, ())
    if body is None:
        raise Rejected(reasons)
    await create_company(
        context.sessions,
        name=body.name,
        tax_id=body.tax_id,
        address=Address(**body.address.model_dump()) if body.address else None,
        created_by=context.identity.user_id,
    )


async def _import_contact(context: Context, values: dict[str, str]) -> None:
    company_id, reasons = _company(context.lookups, values)
    data = {k: v for k, v in values.items() if k not in COMPANY_REFS}
    explained = ["company_id"] if reasons else []
    body = _validate(ContactCreate, {**data, "company_id": company_id}, reasons, explained)
    if body is None:
        raise Rejected(reasons)
    await create_contact(
        context.sessions, fields=body.model_dump(), created_by=context.identity.user_id
    )


def _deal_data(lookups: Lookups, values: dict[str, str], reasons: list[Reason]) -> dict[str, Any]:
    """The row as `DealCreate` takes it: company and stage looked up, numbers and dates read."""
    company_id, company_reasons = _company(lookups, values)
    reasons += company_reasons
    data: dict[str, Any] = {
        k: v
        for k, v in values.items()
        if k not in (*COMPANY_REFS, "stage") and not k.startswith(CUSTOM)
    }
    if company_id is not None:
        data["company_id"] = company_id
    if "stage" in values and "stage_id" not in values:
        stage_id = lookups.stages_by_name.get(_name_key(values["stage"]))
        if stage_id is None:
            reasons.append(("stage", N_("no such stage in the default pipeline")))
        data["stage_id"] = stage_id
    elif "stage_id" not in values:
        data["stage_id"] = lookups.first_stage_id
    if "amount" in data:
        data["amount"] = _number(data["amount"])
    if "expected_close_date" in data:
        data["expected_close_date"] = _date(data["expected_close_date"])
    data["custom"] = {
        key.removeprefix(CUSTOM): _custom(lookups.custom_types.get(key.removeprefix(CUSTOM)), v)
        for key, v in values.items()
        if key.startswith(CUSTOM)
    }
    return data


async def _import_deal(context: Context, values: dict[str, str]) -> None:
    reasons: list[Reason] = []
    data = _deal_data(context.lookups, values, reasons)
    # A company named but not found is said once, not again as a missing `company_id`.
    explained = ["company_id"] if any(name in COMPANY_REFS for name, _ in reasons) else []
    body = _validate(DealImport, data, reasons, explained)
    if body is None:
        raise Rejected(reasons)
    try:
        await create_deal(
            context.sessions,
            identity=context.identity,
            fields=body.model_dump(),
            today=context.today,
        )
    except RequirementsUnmet as refusal:
        raise Rejected([(u.field or "stage", u.message) for u in refusal.unmet[None]]) from None


IMPORTERS: dict[str, Callable[[Context, dict[str, str]], Awaitable[None]]] = {
    "company": _import_company,
    "contact": _import_contact,
    "deal": _import_deal,
}


async def import_row(
    context: Context, record_type: str, sheet: Sheet, cells: list[str]
) -> list[Reason]:
    """Import one row; the reasons it was rejected, in the caller's language (none: imported)."""
    if len(cells) > len(sheet.header):
        return [
            (None, context.translate(N_("this line has more values than the header has columns")))
        ]
    values = {}
    for index, name in sheet.mapping.items():
        value = cells[index].strip() if index < len(cells) else ""
        if value:  # an empty cell is a value not given: the API's default applies
            values[name] = unescape(value)
    try:
        await IMPORTERS[record_type](context, values)
    except Rejected as rejected:
        return [(name, context.translate(message)) for name, message in rejected.reasons]
    except Invalid as invalid:  # also Conflict: a company with this NIP exists
        return [(name, context.translate(message)) for name, message in invalid.problems.items()]
    except Forbidden as forbidden:
        return [(None, context.translate(str(forbidden)))]
    return []


# --- The job --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rejection:
    line: int
    cells: list[str]
    reasons: list[Reason]

    @property
    def error(self) -> str:
        return "; ".join(
            f"{name}: {message}" if name else message for name, message in self.reasons
        )


@dataclass
class Tally:
    processed: int = 0
    imported: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        rejected = len(self.rejections)
        return {"processed": self.processed, "imported": self.imported, "rejected": rejected}


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


async def start_job(
    sessions: SessionFactory, *, record_type: str, created_by: str, total: int
) -> ImportJob:
    async with unit_of_work(sessions) as session:
        job = ImportJob(
            record_type=record_type,
            created_by=created_by,
            status="running",
            total=total,
            processed=0,
            imported=0,
            rejected=0,
        )
        session.add(job)
        await session.flush()
        await session.refresh(job)
    return job


class _Progress:
    """Writes the tally to the job every `PROGRESS_ROWS` rows or `PROGRESS_SECONDS`."""

    def __init__(self, sessions: SessionFactory, job_id: UUID, tally: Tally) -> None:
        self._sessions, self._job_id, self._tally = sessions, job_id, tally
        self._rows, self._at, self._saving = 0, time.monotonic(), False

    async def row_done(self) -> None:
        due = (
            self._tally.processed - self._rows >= PROGRESS_ROWS
            or time.monotonic() - self._at >= PROGRESS_SECONDS
        )
        if not due or self._saving:  # another worker is writing it already
            return
        self._saving = True
        try:
            self._rows, self._at = self._tally.processed, time.monotonic()
            await _save(self._sessions, self._job_id, **self._tally.counts())
        finally:
            self._saving = False


async def _save(sessions: SessionFactory, job_id: UUID, **values: Any) -> None:
    async with unit_of_work(sessions) as session:
        await session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))


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
    try:
        context = Context(sessions, identity, today, await load_lookups(sessions, record_type))
        await _import_all(context, record_type, sheet, tally, _Progress(sessions, job_id, tally))
    except asyncio.CancelledError:  # the service is stopping: say so rather than run forever
        await _end(sessions, job_id, sheet, tally, "failed", "interrupted: the service stopped")
        raise
    except Exception as error:
        log.exception("import %s failed", job_id)
        cause = error.exceptions[0] if isinstance(error, ExceptionGroup) else error
        await _end(sessions, job_id, sheet, tally, "failed", f"{type(cause).__name__}: {cause}")
    else:
        await _end(sessions, job_id, sheet, tally, "done", None)


async def _import_all(
    context: Context, record_type: str, sheet: Sheet, tally: Tally, progress: _Progress
) -> None:
    rows: Iterator[tuple[int, list[str]]] = iter(sheet.rows)

    async def work() -> None:
        for line, cells in rows:  # shared: each row is taken by exactly one worker
            reasons = await import_row(context, record_type, sheet, cells)
            tally.processed += 1
            if reasons:
                tally.rejections.append(Rejection(line, cells, reasons))
            else:
                tally.imported += 1
            await progress.row_done()

    async with asyncio.TaskGroup() as group:  # one failing worker stops the others
        for _ in range(WORKERS[record_type]):
            group.create_task(work())


async def _end(
    sessions: SessionFactory,
    job_id: UUID,
    sheet: Sheet,
    tally: Tally,
    status: str,
    error: str | None,
) -> None:
    try:
        await _save(
            sessions,
            job_id,
            **tally.counts(),
            status=status,
            error=error,
            rejected_csv=rejected_csv(sheet, tally.rejections),
            finished_at=datetime.now(UTC),
        )
    except Exception:  # the database is gone too; the log is all that is left
        log.exception("import %s: the job could not be finished as %s", job_id, status)
