"""Custom fields: the kinds an administrator can add, and how a value of each kind is read."""

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from uuid import UUID

FieldType = Literal["text", "number", "money", "date", "boolean", "select", "user", "document"]
RecordType = Literal["company", "contact", "deal"]
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class BadValue(ValueError):
    """A value that does not fit its field; the message says why."""


def read_value(kind: FieldType, value: Any, options: Sequence[str] = ()) -> Any:
    """The value as stored (JSON-friendly), or `BadValue`. None clears the field."""
    if value is None or value == "":
        return None
    reader = _READERS[kind]
    try:
        return reader(value, options)
    except (ValueError, TypeError, InvalidOperation) as error:
        raise BadValue(str(error) or f"not a {kind}") from None


def _text(value: Any, _: Sequence[str]) -> str:
    if not isinstance(value, str) or len(value) > 2000:
        raise ValueError("text of at most 2000 characters expected")
    return value


def _number(value: Any, _: Sequence[str]) -> str:
    if isinstance(value, bool):
        raise ValueError("a number expected")
    return str(Decimal(str(value)))


def _date(value: Any, _: Sequence[str]) -> str:
    return date.fromisoformat(str(value)).isoformat()


def _boolean(value: Any, _: Sequence[str]) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false expected")
    return value


def _select(value: Any, options: Sequence[str]) -> str:
    if value not in options:
        raise ValueError(f"one of {', '.join(options)} expected")
    return str(value)


def _user(value: Any, _: Sequence[str]) -> str:
    return str(UUID(str(value)))


def _document(value: Any, _: Sequence[str]) -> str:
    if not isinstance(value, str) or not value.startswith(("https://", "http://", "/")):
        raise ValueError("a link to a document expected")
    return value


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
