"""Service forms: the typed fields a department asks for (inputs) and must fill to deliver
(outputs), how an administrator's design is checked, and how a value of each type is read."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, get_args
from uuid import UUID

from shared.contracts.knowledge import FieldType
from shared.text import N_

FIELD_TYPES: tuple[FieldType, ...] = get_args(FieldType)
REFERENCES = ("company", "contact", "deal")  # records of the deals service
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_FIELDS = 40
MAX_TEXT = 5000

# What a field may be filled from when a request is raised from a deal or a company page, and
# the type of that value.
PREFILLS: dict[str, FieldType] = {
    "deal": "deal",
    "deal.title": "text",
    "deal.amount": "money",
    "deal.expected_close_date": "date",
    "company": "company",
    "company.name": "text",
    "company.tax_id": "text",
    "company.city": "text",
    "contact": "contact",
}
# Types a prefill's value may go into besides its own.
_PREFILL_FITS: dict[FieldType, tuple[FieldType, ...]] = {
    "money": ("money", "number", "text"),
    "date": ("date", "text"),
    "text": ("text",),
    "deal": ("deal",),
    "company": ("company",),
    "contact": ("contact",),
}


@dataclass(frozen=True)
class Field:
    """One field of a form."""

    key: str
    label: str
    type: FieldType
    required: bool = False
    options: tuple[str, ...] = ()
    minimum: str | None = None
    maximum: str | None = None
    pattern: str | None = None
    prefill: str | None = None
    help: str = ""


@dataclass(frozen=True)
class Problem:
    """What is wrong with one field: an English msgid and what it names (`%(minimum)s`)."""

    message: str
    params: Mapping[str, str] = field(default_factory=dict)


# --- the administrator's design ----------------------------------------------------------------


def design_problems(fields: Sequence[Field]) -> dict[str, Problem]:
    """Everything wrong with a form's design, by `<position>.<attribute>` (from 0)."""
    problems: dict[str, Problem] = {}
    if len(fields) > MAX_FIELDS:
        problems["fields"] = Problem(N_("at most %(count)s fields"), {"count": str(MAX_FIELDS)})
    seen: set[str] = set()
    for position, one in enumerate(fields):
        for attribute, problem in _field_problems(one, seen).items():
            problems[f"{position}.{attribute}"] = problem
        seen.add(one.key)
    return problems


def _field_problems(one: Field, seen: set[str]) -> dict[str, Problem]:
    problems: dict[str, Problem] = {}
    if not KEY.match(one.key):
        problems["key"] = Problem(N_("use lowercase letters, digits and _, starting with a letter"))
    elif one.key in seen:
        problems["key"] = Problem(N_("another field has this key"))
    if not one.label.strip():
        problems["label"] = Problem(N_("give the field a label"))
    if one.type == "select" and not one.options:
        problems["options"] = Problem(N_("a select field needs options"))
    for bound in ("minimum", "maximum"):
        value = getattr(one, bound)
        if value is not None and _bound(one.type, value) is None:
            problems[bound] = Problem(N_("a limit fits only numbers, amounts and dates"))
    low, high = _bound(one.type, one.minimum), _bound(one.type, one.maximum)
    if low is not None and high is not None and low > high:  # type: ignore[operator]
        problems["maximum"] = Problem(N_("the maximum is below the minimum"))
    if one.pattern is not None:
        if one.type != "text":
            problems["pattern"] = Problem(N_("a pattern fits only text fields"))
        elif _compiled(one.pattern) is None:
            problems["pattern"] = Problem(N_("not a valid regular expression"))
    if one.prefill is not None:
        source = PREFILLS.get(one.prefill)
        if source is None or one.type not in _PREFILL_FITS[source]:
            problems["prefill"] = Problem(N_("this field cannot be filled from that"))
    return problems


def _bound(kind: FieldType, value: str | None) -> Decimal | date | None:
    if value is None:
        return None
    try:
        if kind in ("number", "money"):
            number = Decimal(value)
            return number if number.is_finite() else None
        if kind == "date":
            return date.fromisoformat(value)
    except (InvalidOperation, ValueError):
        return None
    return None


def _compiled(pattern: str) -> re.Pattern[str] | None:
    if len(pattern) > 200:
        return None
    try:
        return re.compile(pattern)
    except re.error:
        return None


# --- values ------------------------------------------------------------------------------------


def read_values(
    fields: Sequence[Field], given: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Problem]]:
    """The values as stored (JSON: empty ones left out) and what is wrong, by field key: a
    required field left empty, a value of the wrong type, out of range, not matching, unknown.

    References (users, documents, files, companies, contacts, deals) are read as ids here;
    whether they exist and may be used is the caller's question."""
    values: dict[str, Any] = {}
    problems: dict[str, Problem] = {}
    known = {one.key for one in fields}
    for key in given:
        if key not in known:
            problems[key] = Problem(N_("the form has no such field"))
    for one in fields:
        raw = given.get(one.key)
        if _empty(raw):
            if one.required:
                problems[one.key] = Problem(N_("fill in this field"))
            continue
        try:
            values[one.key] = read_value(one, raw)
        except BadValue as bad:
            problems[one.key] = bad.problem
    return values, problems


class BadValue(ValueError):
    """A value that does not fit its field."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_value(one: Field, value: Any) -> Any:
    """`value` as stored, or `BadValue` saying what the field expects."""
    reader = _READERS[one.type]
    try:
        read = reader(value, one)
    except (ValueError, TypeError, InvalidOperation):
        raise BadValue(Problem(EXPECTED[one.type])) from None
    _check_range(one, read)
    if one.pattern is not None and isinstance(read, str):
        compiled = _compiled(one.pattern)
        if compiled is not None and compiled.fullmatch(read) is None:
            raise BadValue(Problem(N_("the value does not have the expected form")))
    return read


def _check_range(one: Field, read: Any) -> None:
    if one.type not in ("number", "money", "date"):
        return
    value = Decimal(read) if one.type != "date" else date.fromisoformat(read)
    low, high = _bound(one.type, one.minimum), _bound(one.type, one.maximum)
    if low is not None and value < low:  # type: ignore[operator]
        raise BadValue(Problem(N_("at least %(minimum)s"), {"minimum": str(one.minimum)}))
    if high is not None and value > high:  # type: ignore[operator]
        raise BadValue(Problem(N_("at most %(maximum)s"), {"maximum": str(one.maximum)}))


def _text(value: Any, _: Field) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise ValueError
    return value.strip()


def _number(value: Any, _: Field) -> str:
    if isinstance(value, bool):
        raise ValueError
    number = Decimal(str(value).replace(" ", "").replace(",", "."))
    if not number.is_finite():
        raise ValueError
    return str(number)


def _date(value: Any, _: Field) -> str:
    return date.fromisoformat(str(value)).isoformat()


def _boolean(value: Any, _: Field) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise ValueError


def _select(value: Any, one: Field) -> str:
    if value not in one.options:
        raise ValueError
    return str(value)


def _id(value: Any, _: Field) -> str:
    if isinstance(value, Mapping):  # a file or document kept from before: {document_id, ...}
        value = value.get("document_id")
    return str(UUID(str(value)))


def _document(value: Any, _: Field) -> str:
    if not isinstance(value, str) or not value.startswith(("https://", "http://", "/")):
        raise ValueError
    return value


EXPECTED: dict[str, str] = {
    "text": N_("text of at most 5000 characters expected"),
    "number": N_("a number expected"),
    "money": N_("a number expected"),
    "date": N_("a date expected (YYYY-MM-DD)"),
    "boolean": N_("true or false expected"),
    "select": N_("one of the field's options expected"),
    "user": N_("a user's id expected"),
    "document": N_("a link to a document expected"),
    "file": N_("a file expected"),
    "company": N_("a company expected"),
    "contact": N_("a contact expected"),
    "deal": N_("a deal expected"),
}

_READERS = {
    "text": _text,
    "number": _number,
    "money": _number,
    "date": _date,
    "boolean": _boolean,
    "select": _select,
    "user": _id,
    "document": _document,
    "file": _id,
    "company": _id,
    "contact": _id,
    "deal": _id,
}


def references(fields: Sequence[Field], values: Mapping[str, Any]) -> dict[str, list[str]]:
    """The ids the values name, by type (`user`, `file`, `company`, `contact`, `deal`)."""
    named: dict[str, list[str]] = {}
    for one in fields:
        value = values.get(one.key)
        if value is not None and one.type in ("user", "file", *REFERENCES):
            named.setdefault(one.type, []).append(_id(value, one))
    return named
