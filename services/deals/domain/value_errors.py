"""What is wrong with a value, in the project's own words: pydantic's error types as our messages.

Pydantic words its errors in English only. An imported row's reasons are shown in the importing
user's language, so each error type the request models can raise is mapped to a message marked for
translation; its `%(name)s` placeholders take the error's context (a limit, a length). Types not
listed get a general message rather than pydantic's English.
"""

from collections.abc import Mapping
from typing import Any

from shared.text import N_

NOT_VALID = N_("this value is not valid")
_DATE = N_("not a date (YYYY-MM-DD or DD.MM.YYYY)")
_NUMBER = N_("not a number")
_WHOLE = N_("not a whole number")
_UUID = N_("not an id (UUID)")

MESSAGES: Mapping[str, str] = {
    "missing": N_("fill in this value"),
    "string_too_short": N_("fill in this value"),
    "string_too_long": N_("at most %(max_length)s characters"),
    "string_pattern_mismatch": N_("this value has the wrong form"),
    "string_type": N_("text expected"),
    "greater_than_equal": N_("must be at least %(ge)s"),
    "greater_than": N_("must be more than %(gt)s"),
    "less_than_equal": N_("must be at most %(le)s"),
    "less_than": N_("must be less than %(lt)s"),
    "decimal_parsing": _NUMBER,
    "decimal_type": _NUMBER,
    "finite_number": _NUMBER,
    "decimal_max_digits": N_("at most %(max_digits)s digits"),
    "decimal_whole_digits": N_("at most %(whole_digits)s digits before the decimal point"),
    "decimal_max_places": N_("at most %(decimal_places)s digits after the decimal point"),
    "int_parsing": _WHOLE,
    "int_type": _WHOLE,
    "int_from_float": _WHOLE,
    "date_parsing": _DATE,
    "date_type": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "uuid_parsing": _UUID,
    "uuid_type": _UUID,
    "uuid_version": _UUID,
    "too_long": N_("at most %(max_length)s values"),
    "extra_forbidden": N_("no such field"),
}
_EMAIL = N_("not an e-mail address")


def message_of(error: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """One pydantic error (an item of `ValidationError.errors()`) as a msgid and its values."""
    kind, context = str(error.get("type")), error.get("ctx") or {}
    if kind == "value_error":
        return _value_error(context), {}
    message = MESSAGES.get(kind, NOT_VALID)
    return message, {name: str(value) for name, value in context.items()}


def _value_error(context: Mapping[str, Any]) -> str:
    """Our validators raise `ValueError(N_(...))`; e-mail addresses are judged by pydantic."""
    if "reason" in context:
        return _EMAIL
    error = context.get("error")
    return str(error) if isinstance(error, ValueError) and str(error) else NOT_VALID
