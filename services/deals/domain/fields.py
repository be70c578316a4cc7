"""Custom fields: the kinds an administrator can add, and how a value of each kind is read."""

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from uuid import UUID

from shared.text import N_

FieldType = Literal["text", "number", "money", "date", "boolean", "select", "user", "document"]
RecordType = Literal["company", "contact", "deal"]
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class BadValue(ValueError):
    """A value that does not fit its field; the message says why."""


def read_value(kind: FieldType, value: Any, options: Sequence[str] = ()) -> Any:
    """The value as stored (JSON-friendly), or `BadValue` saying what the kind expects.

    None clears the field. The message is the kind's own (an English msgid, translated where
    shown), never the parser's, so a refusal reads the same in every language.
    """
    if value is None or value == "":
        return None
    reader = _READERS[kind]
    try:
        return reader(value, options)
    except (ValueError, TypeError, InvalidOperation):
        raise BadValue(EXPECTED[kind]) from None


def _text(value: Any, _: Sequence[str]) -> str:
    if not isinstance(value, str) or len(value) > 2000:
        raise ValueError
    return value


def _number(value: Any, _: Sequence[str]) -> str:
    number = Decimal(str(value))
    if isinstance(value, bool) or not number.is_finite():
        raise ValueError
    return str(number)


def _date(value: Any, _: Sequence[str]) -> str:
    return date.fromisoformat(str(value)).isoformat()


def _boolean(value: Any, _: Sequence[str]) -> bool:
    if not isinstance(value, bool):
        raise ValueError
    return value


def _select(value: Any, options: Sequence[str]) -> str:
    if value not in options:
        raise ValueError
    return str(value)


def _user(value: Any, _: Sequence[str]) -> str:
    return str(UUID(str(value)))


def _document(value: Any, _: Sequence[str]) -> str:
    if not isinstance(value, str) or not value.startswith(("https://", "http://", "/")):
        raise ValueError
    return value


EXPECTED: dict[str, str] = {
    "text": N_("text of at most 2000 characters expected"),
    "number": N_("a number expected"),
    "money": N_("a number expected"),
    "date": N_("a date expected (YYYY-MM-DD)"),
    "boolean": N_("true or false expected"),
    "select": N_("one of the field's options expected"),
    "user": N_("a user's id expected"),
    "document": N_("a link to a document expected"),
}

_READERS = {
    "text": _text,
    "number": _number,
    "money": _number,
    "date": _date,
    "boolean": _boolean,
    "select": _select,
    "user": _user,
    "document": _document,
}
