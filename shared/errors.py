"""Errors a use case raises about its input, answered the way FastAPI answers validation errors."""

import logging

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)
# PostgreSQL's class 22, "data exception": a value it cannot take (a number out of range, a
# date past its calendar, a NUL in text) — the input's fault, never the server's.
DATA_EXCEPTION = "22"


class Invalid(Exception):
    """The input breaks a rule; `problems` says what is wrong, by field."""

    status_code = status.HTTP_422_UNPROCESSABLE_CONTENT

    def __init__(
        self,
        problems: dict[str, str],
        *,
        where: str = "body",
        context: dict[str, dict[str, str]] | None = None,
    ) -> None:
        super().__init__("; ".join(f"{field}: {msg}" for field, msg in problems.items()))
        self.problems = problems
        self.where = where  # "body" or "query": where the wrong fields came from
        self.context = context or {}  # by field: what a client needs to act on it (`ctx`)


class Conflict(Invalid):
    """The input clashes with what exists (a taken e-mail, a duplicate NIP)."""

    status_code = status.HTTP_409_CONFLICT


class Forbidden(Exception):
    """The caller may see the record but not do this to it."""


class NotFound(Exception):
    """No such record, or none the caller may see (the same answer, so nothing leaks)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")


def problem_details(
    problems: dict[str, str],
    where: str = "body",
    context: dict[str, dict[str, str]] | None = None,
) -> list[dict[str, object]]:
    """FastAPI's error shape: one entry per field, so clients handle all 4xx alike; `ctx` where
    the problem names something (the company that already has a NIP)."""
    details: list[dict[str, object]] = []
    for field, msg in problems.items():
        detail: dict[str, object] = {"loc": [where, field], "msg": msg, "type": "value_error"}
        if context and field in context:
            detail["ctx"] = context[field]
        details.append(detail)
    return details


def install_error_handlers(app: FastAPI) -> None:
    async def invalid(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, Invalid)
        return JSONResponse(
            {"detail": problem_details(error.problems, error.where, error.context)},
            error.status_code,
        )

    async def not_found(_: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status.HTTP_404_NOT_FOUND)

    async def forbidden(_: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status.HTTP_403_FORBIDDEN)

    async def unstorable(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DBAPIError)
        if not str(getattr(error.orig, "sqlstate", "") or "").startswith(DATA_EXCEPTION):
            raise error
        # A value slipped past the checks of its field: refused whole (the transaction is rolled
        # back), logged so the field gets its own check.
        log.warning("refused a value the database cannot store: %s", error.orig)
        return JSONResponse(
            {"detail": "a value is out of the range the CRM can store"},
            status.HTTP_422_UNPROCESSABLE_CONTENT,
        )

    app.add_exception_handler(Invalid, invalid)
    app.add_exception_handler(DBAPIError, unstorable)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(Forbidden, forbidden)
