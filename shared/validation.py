"""Pydantic's validation errors in the caller's language, in FastAPI's error shape.

A service answers a malformed request with one entry per wrong field, as FastAPI does; only
the message changes: it is said in the caller's language (the identity's `locale` in a
service, the signed-in user's in the gateway, else the request's Accept-Language) for the
common error types, and left as pydantic says it otherwise.
"""

import math
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.auth import IDENTITY_HEADER, InvalidIdentity, verified_tokens
from shared.i18n import LOCALES, translations
from shared.schemas import NUL_REFUSED, SURROGATE_HALF
from shared.text import N_

# Error types whose message needs nothing from the error's context.
PLAIN: Mapping[str, str] = {
    "missing": N_("Fill this in."),
    "string_type": N_("Enter text."),
    "string_pattern_mismatch": N_("This does not have the expected form."),
    "finite_number": N_("Enter a finite number."),
    "decimal_parsing": N_("Enter a number."),
    "decimal_type": N_("Enter a number."),
    "float_parsing": N_("Enter a number."),
    "float_type": N_("Enter a number."),
    "decimal_max_digits": N_("This number has too many digits."),
    "decimal_whole_digits": N_("This number has too many digits."),
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "int_from_float": N_("Enter a whole number."),
    "bool_parsing": N_("Choose yes or no."),
    "bool_type": N_("Choose yes or no."),
    "date_parsing": N_("Enter a valid date."),
    "date_type": N_("Enter a valid date."),
    "date_from_datetime_parsing": N_("Enter a valid date."),
    "date_from_datetime_inexact": N_("Enter a valid date."),
    "datetime_parsing": N_("Enter a valid date and time."),
    "datetime_type": N_("Enter a valid date and time."),
    "datetime_from_date_parsing": N_("Enter a valid date and time."),
    "timezone_aware": N_("Give the time with its time zone."),
    "time_parsing": N_("Enter a valid time."),
    "time_type": N_("Enter a valid time."),
    "uuid_parsing": N_("This is not a valid identifier."),
    "uuid_type": N_("This is not a valid identifier."),
    "extra_forbidden": N_("This field is not accepted."),
    "url_parsing": N_("Enter a valid web address."),
    "url_scheme": N_("Enter a valid web address."),
    "url_type": N_("Enter a valid web address."),
    "json_invalid": N_("The request is not valid JSON."),
    "list_type": N_("Give a list."),
    "dict_type": N_("This has the wrong form."),
    "model_type": N_("This has the wrong form."),
    "model_attributes_type": N_("This has the wrong form."),
}
# Error types whose message shows a bound from the error's context.
BOUNDED: Mapping[str, tuple[str, str]] = {
    "string_too_short": ("min_length", N_("Use at least %(limit)s characters.")),
    "string_too_long": ("max_length", N_("Use at most %(limit)s characters.")),
    "too_short": ("min_length", N_("Give at least %(limit)s items.")),
    "too_long": ("max_length", N_("Give at most %(limit)s items.")),
    "decimal_max_places": (
        "decimal_places",
        N_("Use at most %(limit)s digits after the decimal point."),
    ),
    "greater_than": ("gt", N_("Enter a number greater than %(limit)s.")),
    "greater_than_equal": ("ge", N_("Enter a number of at least %(limit)s.")),
    "less_than": ("lt", N_("Enter a number less than %(limit)s.")),
    "less_than_equal": ("le", N_("Enter a number of at most %(limit)s.")),
}


def message(error: Mapping[str, Any], locale: str) -> str:
    """One pydantic error's message in `locale`; pydantic's own when the type is not known."""
    catalogue = translations(locale)
    kind, context = str(error.get("type", "")), error.get("ctx") or {}
    if kind == "string_too_short" and context.get("min_length") == 1:
        return catalogue.ugettext(PLAIN["missing"])
    if kind in ("uuid_parsing", "uuid_type") and error.get("input") == "":  # a blank choice
        return catalogue.ugettext(N_("Choose one."))
    if kind in PLAIN:
        return catalogue.ugettext(PLAIN[kind])
    if kind in BOUNDED and context.get(BOUNDED[kind][0]) is not None:
        name, text = BOUNDED[kind]
        return catalogue.ugettext(text) % {"limit": context[name]}
    if kind in ("literal_error", "enum") and context.get("expected"):
        choices = str(context["expected"]).replace(" or ", ", ")
        return catalogue.ugettext(N_("Choose one of: %(choices)s.")) % {"choices": choices}
    text = str(error.get("msg", ""))
    if kind == "value_error" and text.startswith("value is not a valid email address"):
        return catalogue.ugettext(N_("Enter a valid e-mail address."))
    # A rule of our own raised in a validator: its message is a msgid of the catalogue.
    return catalogue.ugettext(text.removeprefix("Value error, "))


def translated(errors: Iterable[Mapping[str, Any]], locale: str) -> list[dict[str, Any]]:
    """`errors` as FastAPI answers them, each message in `locale`."""
    return [{**_json_safe(error), "msg": message(error, locale)} for error in errors]


def _json_safe(value: Any) -> Any:
    """`value` as JSON in UTF-8 can say it: `1e400` arrives as infinity, which JSON has no word
    for, and half of a surrogate pair (`"\\ud800"` alone) as a character UTF-8 cannot write."""
    if isinstance(value, str):
        return value if value.isascii() else SURROGATE_HALF.sub("\ufffd", value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {_json_safe(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


def by_field(errors: Iterable[Mapping[str, Any]], locale: str) -> dict[str, str]:
    """A form's problems: each wrong field (the last part of its location) and what is wrong."""
    found: dict[str, str] = {}
    for error in errors:
        location = error.get("loc") or ("form",)
        field, text = str(location[-1]), message(error, locale)
        found[field] = f"{found[field]}; {text}" if field in found else text
    return found


def caller_locale(request: Request) -> str:
    """The caller's language: what the app learnt of the caller (`request.state.locale`), the
    identity the gateway signed, the browser's Accept-Language; English for anyone else."""
    known = getattr(request.state, "locale", None)
    if known in LOCALES:
        return str(known)
    token = request.headers.get(IDENTITY_HEADER)
    secret = getattr(request.app.state, "identity_secret", None)
    if token and secret:
        try:
            return verified_tokens(request.app).identity(token).locale
        except InvalidIdentity:
            pass
    return _accepted(request.headers.get("accept-language", ""))


def _accepted(header: str) -> str:
    for part in header.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag[:2] in LOCALES:
            return tag[:2]
    return "en"


def answer(request: Request, error: RequestValidationError) -> JSONResponse:
    """FastAPI's 422 answer with every message in the caller's language."""
    detail = translated(error.errors(), caller_locale(request))
    return JSONResponse({"detail": jsonable_encoder(detail)}, status.HTTP_422_UNPROCESSABLE_CONTENT)


def install_validation_messages(app: FastAPI) -> None:
    async def handle(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return answer(request, error)

    app.add_exception_handler(RequestValidationError, handle)
    app.add_middleware(RefuseNul)


class RefuseNul:
    """A NUL character in the path or the query is a 422 before any route sees it: PostgreSQL
    stores no NUL in text, and no name or search holds one. (Bodies: `shared.schemas.Strict`.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            wrong = _nul_fields(scope)
            if wrong:
                catalogue = translations(caller_locale(Request(scope)))
                detail = [
                    {
                        "loc": list(where),
                        "msg": catalogue.ugettext(NUL_REFUSED),
                        "type": "value_error",
                    }
                    for where in wrong
                ]
                refusal = JSONResponse({"detail": detail}, status.HTTP_422_UNPROCESSABLE_CONTENT)
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _nul_fields(scope: Scope) -> list[tuple[str, ...]]:
    """Where a NUL is: ("path",) and ("query", name) for each parameter holding one."""
    wrong: list[tuple[str, ...]] = [("path",)] if "\x00" in scope.get("path", "") else []
    query = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                wrong.append(("query", name.replace("\x00", "")))
    return wrong
