"""The base of every strict request body: unknown fields are refused, text is trimmed and may
hold no NUL, control character or half a surrogate pair; `NotNull` marks a change's fields that may be left out but not emptied;
`Day` and `Moment` are the dates and times the CRM takes."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from shared.text import N_

NUL_REFUSED = N_("may not contain a NUL character")
NOT_UNICODE = N_("is not Unicode text: it holds half of a surrogate pair (e.g. \\ud800 alone)")
SURROGATE_HALF = re.compile("[\ud800-\udfff]")
# Characters that only steer a terminal (a backspace, an escape): text keeps tabs and new lines.
CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_REFUSED = N_("may not contain control characters (only tabs and new lines)")
NULL_REFUSED = N_("may not be null")
# Any plan or appointment fits, and a period, a week or a time zone added to a date in this
# range never runs off the calendar's ends (year 1, year 9999).
EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)
OUT_OF_CALENDAR = N_("choose a date between 1900 and 2199")


def _unstorable(text: str) -> str | None:
    if "\x00" in text:
        return NUL_REFUSED
    if not text.isascii() and SURROGATE_HALF.search(text):
        return NOT_UNICODE
    if CONTROL.search(text):
        return CONTROL_REFUSED
    return None


def unstorable(value: Any) -> str | None:
    """What makes `value` (text, or lists and maps of it) text the CRM does not keep, if
    anything: a NUL character, which PostgreSQL cannot store, half of a surrogate pair (JSON's
    `"\\ud800"` alone), which is no character at all, or a control character."""
    if isinstance(value, str):
        return _unstorable(value)
    if isinstance(value, dict):
        items: Any = (part for pair in value.items() for part in pair)
    elif isinstance(value, list | tuple | set | frozenset):
        items = value
    else:
        return None
    return next((problem for item in items if (problem := unstorable(item))), None)


class Strict(BaseModel):
    """A request body that names every field it accepts; anything else is a 422."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        problem = unstorable(value)
        if problem:
            raise ValueError(problem)
        return value


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise ValueError(NULL_REFUSED)
    return value


@dataclass(frozen=True)
class NotNull:
    """`Annotated[str | None, NotNull()] = None`: a change (PATCH) may leave the field out, but
    an explicit `null` is a 422, and the document says the field is never null."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(_refuse_null, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        options = json_schema.get("anyOf")
        if isinstance(options, list):
            kept = [option for option in options if option != {"type": "null"}]
            del json_schema["anyOf"]
            if len(kept) == 1:
                json_schema.update(kept[0])
            else:
                json_schema["anyOf"] = kept
        return json_schema


def _in_calendar(value: date) -> date:
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise ValueError(OUT_OF_CALENDAR)
    return value


_RANGE = "between 1900-01-01 and 2199-12-31"
Day = Annotated[date, AfterValidator(_in_calendar), Field(description=f"a date {_RANGE}")]
Moment = Annotated[
    AwareDatetime,
    AfterValidator(_in_calendar),
    Field(description=f"a time with its offset, {_RANGE}"),
]


T = TypeVar("T")
# A field of a change (PATCH): left out, it stays as it is; it may not be set to null.
Changed = Annotated[T | None, NotNull()]
