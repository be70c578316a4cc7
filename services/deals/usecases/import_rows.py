"""Rows of an imported file, read for the use cases: cells to values, names and NIPs to ids, and
every problem a reason in the importing user's language, naming the file's own column.

Numbers may use a decimal comma and dates may be DD.MM.YYYY, as Polish Excel writes them. A
company is named by `company_id`, `company_tax_id` or `company_name` (the first one given), an
owner by `owner_id` or `owner` (an id or a person's name); NIPs and names are looked up once per
import (`Directory`).
"""

import asyncio
import re
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from services.deals.domain.nip import normalize_nip
from services.deals.domain.sheet import COMPANY_REFS, Sheet, unescape
from services.deals.domain.value_errors import message_of
from services.deals.tables import Company, Member
from services.deals.usecases.deal_rules import RequirementsUnmet
from shared.auth import Identity
from shared.db import SessionFactory
from shared.errors import Forbidden, Invalid
from shared.i18n import translate
from shared.text import N_

_DOTTED_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_YES, _NO = {"true", "1", "yes", "tak", "t", "y"}, {"false", "0", "no", "nie", "f", "n"}
# Rows handled between two looks at the event loop, so a batch being written moves on meanwhile.
_PACE = 20

# Why a row was refused: the field (None: the row as a whole), an English msgid, its values.
Reason = tuple[str | None, str, Mapping[str, str]]


@dataclass(frozen=True)
class ImportContext:
    """One import: who runs it, on which day, and the file."""

    sessions: SessionFactory
    identity: Identity
    today: date
    sheet: Sheet


@dataclass(frozen=True)
class Row:
    """A line of the file: its cells as written and the non-empty values by field."""

    line: int
    cells: list[str]
    values: dict[str, str]


@dataclass(frozen=True)
class Rejection:
    line: int
    cells: list[str]
    error: str  # every reason, in the importing user's language


@dataclass
class Batch:
    """Some rows read and checked: how each turned out, and what writing them takes."""

    size: int
    rejections: list[Rejection] = field(default_factory=list)
    imported: int = 0
    updated: int = 0
    skipped: int = 0


def read_rows(
    context: ImportContext, lines: Sequence[tuple[int, list[str]]]
) -> Iterable[Row | Rejection]:
    """Each line as a `Row`, or refused when it has more cells than the header has columns."""
    width, columns = len(context.sheet.header), list(context.sheet.mapping.items())
    for line, cells in lines:
        if len(cells) > width:
            message = N_("this line has more values than the header has columns")
            yield rejection(context, line, cells, [(None, message, {})])
            continue
        given = len(cells)
        values = {}
        for index, name in columns:
            value = cells[index].strip() if index < given else ""
            if value:  # an empty cell is a value not given: the API's default applies
                values[name] = unescape(value) if value[0] == "'" else value
        yield Row(line, cells, values)


def rejection(
    context: ImportContext,
    line: int,
    cells: list[str],
    reasons: Iterable[Reason],
    named_by: Mapping[str, str] | None = None,
) -> Rejection:
    """A refused row, its reasons translated; each names the file's column of its field
    (`named_by` tells which column gave a field, e.g. `stage` for `stage_id`)."""
    parts = []
    for name, message, values in reasons:
        text = translate(message, context.identity.locale)
        if values:
            text = text % values
        column = context.sheet.column_of((named_by or {}).get(name or "", name))
        parts.append(f"{column}: {text}" if column else text)
    return Rejection(line, cells, "; ".join(parts))


async def paced(items: Iterable[Any]) -> AsyncIterator[Any]:
    """`items`, letting the event loop run every few of them."""
    for index, item in enumerate(items):
        if index and index % _PACE == 0:
            await asyncio.sleep(0)
        yield item


# --- Values ---------------------------------------------------------------------------------


def number(value: str) -> str:
    """`1 234,56` (Polish Excel) -> `1234.56`; anything else is left for the model to judge."""
    compact = value.replace(" ", "").replace("\u00a0", "")
    return compact.replace(",", ".") if "," in compact and "." not in compact else compact


def day(value: str) -> str:
    """DD.MM.YYYY -> YYYY-MM-DD; anything else is left for the model to judge."""
    dotted = _DOTTED_DATE.match(value)
    if dotted is None:
        return value
    day_, month, year = dotted.groups()
    return f"{year}-{int(month):02d}-{int(day_):02d}"


def custom_value(kind: str | None, value: str) -> Any:
    """A cell as the custom field's reader expects it (it judges the value itself)."""
    if kind == "boolean" and value.lower() in _YES | _NO:
        return value.lower() in _YES
    if kind == "date":
        return day(value)
    if kind in ("number", "money"):
        return number(value)
    return value


M = TypeVar("M", bound=BaseModel)


def validate(
    model: type[M], data: dict[str, Any], reasons: list[Reason], explained: Collection[str] = ()
) -> M | None:
    """The row as `model`, or None with its reasons added (but for fields already `explained`)."""
    try:
        valid = model.model_validate(data)
    except ValidationError as error:
        for problem in error.errors(include_url=False, include_input=False):
            name = _field_of(problem["loc"])
            if name not in explained:
                message, values = message_of(problem)
                reasons.append((name, message, values))
        return None
    return valid if not reasons else None


def _field_of(loc: tuple[int | str, ...]) -> str | None:
    names = [str(part) for part in loc if isinstance(part, str)]
    if names[:1] == ["address"]:  # the file has the address parts as columns of their own
        names = names[1:]
    return names[0] if names else None


def reasons_of(refusal: Invalid | Forbidden | RequirementsUnmet) -> list[Reason]:
    """A use case's refusal as reasons, as the API would name the fields."""
    if isinstance(refusal, RequirementsUnmet):
        return [(u.field or "stage_id", u.message, dict(u.params)) for u in refusal.unmet[None]]
    if isinstance(refusal, Invalid):
        return [(name, message, {}) for name, message in refusal.problems.items()]
    return [("owner_id", str(refusal), {})]  # the one thing a new record may be forbidden


# --- Looking up what rows name, once per import --------------------------------------------


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _unique(pairs: Iterable[tuple[str, UUID]]) -> dict[str, UUID | None]:
    """Name -> id; None where more than one has the name, so a name alone cannot say which."""
    found: dict[str, UUID | None] = {}
    for name, id_ in pairs:
        found[name] = None if name in found else id_
    return found


@dataclass(frozen=True)
class Directory:
    """The companies by NIP and by name, and the active people by name."""

    companies_by_tax_id: dict[str, UUID] = field(default_factory=dict)
    companies_by_name: dict[str, UUID | None] = field(default_factory=dict)
    people_by_name: dict[str, UUID | None] = field(default_factory=dict)
    people_by_email: dict[str, UUID] = field(default_factory=dict)


async def load_directory(sessions: SessionFactory, record_type: str) -> Directory:
    """What the rows of `record_type` may name: companies (by contacts and deals), people (by
    companies and deals, their owners)."""
    async with sessions() as session:
        companies: Sequence[Any] = []
        if record_type != "company":
            companies = (
                await session.execute(select(Company.id, Company.name, Company.tax_id))
            ).all()
        people: list[tuple[UUID, str, str | None]] = []
        if record_type in ("company", "deal"):
            query = select(Member.id, Member.name, Member.email).where(Member.active.is_(True))
            people = [(id_, name, email) for id_, name, email in await session.execute(query)]
    return Directory(
        companies_by_tax_id={tax_id: id_ for id_, _, tax_id in companies if tax_id},
        companies_by_name=_unique((name_key(name), id_) for id_, name, _ in companies),
        people_by_name=_unique((name_key(name), id_) for id_, name, _ in people),
        people_by_email={email: id_ for id_, _, email in people if email},
    )


def company_of(
    directory: Directory, values: Mapping[str, str], reasons: list[Reason]
) -> tuple[str | UUID | None, str | None]:
    """The company the row names by id, NIP or name (the first given), and the field naming
    it; (None, None) when none is. Adds the reason when it cannot be found."""
    if "company_id" in values:
        return values[
            "company_id"
        ], "company_id"  # the model checks the form, the use case the rest
    if "company_tax_id" in values:
        try:
            nip = normalize_nip(values["company_tax_id"])
        except ValueError as error:
            reasons.append(("company_tax_id", str(error), {}))
            return None, "company_tax_id"
        found = directory.companies_by_tax_id.get(nip)
        if found is None:
            reasons.append(("company_tax_id", N_("no company with this NIP"), {}))
        return found, "company_tax_id"
    if "company_name" in values:
        return _by_name(
            directory.companies_by_name,
            "company_name",
            values["company_name"],
            reasons,
            N_("no company with this name"),
            N_("more than one company has this name; give the NIP instead"),
        )
    return None, None


def owner_of(
    directory: Directory, values: Mapping[str, str], reasons: list[Reason]
) -> tuple[str | UUID | None, str | None]:
    """The owner the row names by `owner_id`, or by `owner` (an id, or an active person's
    e-mail address or name)."""
    if "owner_id" in values:
        return values["owner_id"], "owner_id"
    if "owner" not in values:
        return None, None
    given = values["owner"]
    try:
        return UUID(given), "owner"
    except ValueError:
        pass
    if "@" in given:  # an e-mail address: one person's at most
        found = directory.people_by_email.get(given.strip().lower())
        if found is None:
            reasons.append(("owner", N_("no active user has this e-mail address"), {}))
        return found, "owner"
    return _by_name(
        directory.people_by_name,
        "owner",
        given,
        reasons,
        N_("no active user has this name"),
        N_("more than one person has this name; give their e-mail address instead"),
    )


def _by_name(
    names: Mapping[str, UUID | None],
    field_name: str,
    value: str,
    reasons: list[Reason],
    unknown: str,
    ambiguous: str,
) -> tuple[UUID | None, str]:
    key = name_key(value)
    if key not in names:
        reasons.append((field_name, unknown, {}))
        return None, field_name
    found = names[key]
    if found is None:
        reasons.append((field_name, ambiguous, {}))
    return found, field_name


def without_refs(values: Mapping[str, str]) -> dict[str, Any]:
    """The row's values but for the ways it names its company."""
    return {k: v for k, v in values.items() if k not in COMPANY_REFS}
