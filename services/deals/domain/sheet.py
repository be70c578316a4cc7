"""A CSV file read whole, for import: decoded, its delimiter sniffed, its columns mapped to fields.

Pure rules, no I/O: a file that is not UTF-8 CSV, is too large or lacks a required column is
refused here, before anything is imported. Columns are recognised by their field names or by
their English or Polish headers (`headers.py`), unless the caller maps them explicitly.
"""

import csv
import io
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal

from services.deals.domain import headers
from shared.text import N_

RecordType = Literal["company", "contact", "deal"]

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000

COMPANY_REFS = ("company_id", "company_tax_id", "company_name")
ADDRESS = ("street", "postal_code", "city", "country")
FIELDS: dict[str, tuple[str, ...]] = {
    "company": ("name", "tax_id", *ADDRESS, "owner", "owner_id"),
    "contact": ("name", *COMPANY_REFS, "position", "phone", "email"),
    "deal": (
        "title",
        *COMPANY_REFS,
        "owner",
        "owner_id",
        "amount",
        "currency",
        "expected_close_date",
        "stage",
        "stage_id",
        "probability",
        "source",
        "lost_reason",
    ),
}
# Each group must be mapped to at least one column.
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "company": (("name",),),
    "contact": (("name",),),
    "deal": (("title",), COMPANY_REFS),
}
CUSTOM = "custom."
# A cell starting with one of these is a formula to a spreadsheet; exports prefix it with `'`.
LINE_END = re.compile(r"\r\n?|\n")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Problem:
    """Why a whole file cannot be imported: where (`file`, `mapping`), an English msgid, what.

    `choices` are the headers that would have been understood, in the caller's language.
    """

    where: str
    message: str
    subject: str | None = None
    choices: tuple[str, ...] = ()


class BadFile(Exception):
    """The file cannot be imported at all, so nothing of it was."""

    status_code = 422

    def __init__(self, *problems: Problem) -> None:
        super().__init__("; ".join(f"{p.where}: {p.message} {p.subject or ''}" for p in problems))
        self.problems = list(problems)


class TooLarge(BadFile):
    status_code = 413


@dataclass(frozen=True)
class Sheet:
    """A CSV file read whole: its header, its rows by line number, and which column is which field."""

    delimiter: str
    header: list[str]
    rows: list[tuple[int, list[str]]]
    mapping: dict[int, str]
    columns: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        # field -> the column it came from, as the file names it: what a row's reasons name
        named = {target: self.header[index] for index, target in self.mapping.items()}
        object.__setattr__(self, "columns", named)

    def column_of(self, field_name: str | None) -> str | None:
        """The file's own name for the column of `field_name` (the field's name if none)."""
        return self.columns.get(field_name, field_name) if field_name else None


# --- Reading the file -----------------------------------------------------------------------


def read_sheet(
    data: bytes,
    record_type: str,
    mapping: dict[str, str] | None,
    custom_keys: Collection[str],
    *,
    locale: str = "en",
) -> Sheet:
    """The file as rows and a column -> field mapping, or `BadFile` saying what is wrong.

    `locale` is the language of the headers a refusal lists as accepted.
    """
    if len(data) > MAX_BYTES:
        raise TooLarge(Problem("file", N_("the file is larger than 10 MB")))
    text = _decode(data)
    delimiter = _delimiter(text)
    records = _records(text, delimiter)
    if not records:
        raise BadFile(Problem("file", N_("the file is empty")))
    (_, header), rows = records[0], records[1:]
    if len(rows) > MAX_ROWS:
        raise TooLarge(Problem("file", N_("a file may have at most 50000 rows")))
    header = [name.strip() for name in header]
    known = set(FIELDS[record_type]) | {CUSTOM + key for key in custom_keys}
    columns = _mapping(header, record_type, mapping, known, locale)
    return Sheet(delimiter, header, rows, columns)


def _decode(data: bytes) -> str:
    if b"\x00" in data:  # binary: a workbook (.xlsx), an image; no text file holds NUL
        raise BadFile(Problem("file", N_("this is not a CSV file")))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadFile(
            Problem("file", N_("the file is not UTF-8 text; in Excel save it as CSV UTF-8"))
        ) from None


def _delimiter(text: str) -> str:
    """`;` (Polish Excel) or `,`: whichever splits the header into more columns."""
    first = LINE_END.split(text.lstrip("\r\n"), maxsplit=1)[0]  # a bare CR ends a line too
    try:
        counts = {d: len(next(csv.reader([first], delimiter=d), [])) for d in ",;"}
    except csv.Error:
        raise BadFile(Problem("file", N_("this is not a CSV file"))) from None
    return ";" if counts[";"] > counts[","] else ","


def _records(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """Non-blank records with the line each starts on (a quoted value may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records, line = [], 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                records.append((line, cells))
            line = reader.line_num + 1
            if len(records) > MAX_ROWS + 1:
                raise TooLarge(Problem("file", N_("a file may have at most 50000 rows")))
    except csv.Error:
        raise BadFile(Problem("file", N_("this is not a CSV file"))) from None
    return records


def _mapping(
    header: list[str],
    record_type: str,
    given: dict[str, str] | None,
    known: set[str],
    locale: str,
) -> dict[int, str]:
    positions: dict[str, list[int]] = {}
    for index, name in enumerate(header):
        positions.setdefault(name, []).append(index)
    problems: list[Problem] = []
    if given is None:
        pairs = _automatic(header, record_type, known, problems)
    else:
        pairs = _explicit(positions, given, known, problems)
    for index, name in pairs.items():
        if len(positions[header[index]]) > 1:
            problems.append(Problem("file", N_("this column appears more than once"), name))
    targets = list(pairs.values())
    for target in sorted({t for t in targets if targets.count(t) > 1}):
        problems.append(
            Problem("mapping", N_("more than one column is mapped to this field"), target)
        )
    if not pairs:
        accepted = headers.shown(record_type, tuple(headers.HEADERS[record_type]), locale)
        message = N_("no column of the header is a field to import; the columns it takes are")
        problems.append(Problem("file", message, choices=(*accepted, *_custom(known))))
    for group in REQUIRED[record_type]:
        if not set(group) & set(targets):
            accepted = headers.shown(record_type, group, locale)
            problems.append(
                Problem(
                    "file",
                    N_("a required column is missing"),
                    " | ".join(group),
                    choices=tuple(accepted),
                )
            )
    if problems:
        raise BadFile(*problems)
    return pairs


def _automatic(
    header: list[str], record_type: str, known: set[str], problems: list[Problem]
) -> dict[int, str]:
    """Headers that name a field (its name or a header of it) map to it; others are ignored."""
    names = headers.aliases(record_type)
    pairs = {}
    for index, name in enumerate(header):
        lowered = name.lower()
        if lowered.startswith(CUSTOM):
            if lowered in known:
                pairs[index] = lowered
            else:
                problems.append(Problem("file", N_("no such custom field"), name))
        elif headers.fold(name) in names:
            pairs[index] = names[headers.fold(name)]
    return pairs


def _custom(known: set[str]) -> list[str]:
    return sorted(name for name in known if name.startswith(CUSTOM))


def _explicit(
    positions: dict[str, list[int]],
    given: dict[str, str],
    known: set[str],
    problems: list[Problem],
) -> dict[int, str]:
    pairs = {}
    for column, target in given.items():
        if target not in known:
            problems.append(Problem("mapping", N_("no such field"), target))
        elif column.strip() not in positions:
            problems.append(Problem("mapping", N_("no such column in the file"), column))
        else:
            pairs[positions[column.strip()][0]] = target
    return pairs


# A cell starting like a formula that is only a phone number or a number stays as it is.
_HARMLESS = re.compile(r"^[+-][0-9 ()./,-]*$")


def defused(text: str) -> str:
    """Text a spreadsheet would run as a formula, with a `'` before it (`unescape` undoes it)."""
    if text.startswith(FORMULA_STARTS) and not _HARMLESS.match(text):
        return "'" + text
    return text


def unescape(value: str) -> str:
    """A cell as it was before an export defused it as a formula (`'=x` -> `=x`)."""
    if value[:1] == "'" and value[1:2] and value[1] in FORMULA_STARTS:
        return value[1:]
    return value
