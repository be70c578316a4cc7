"""Errors a use case raises about its input, answered the way FastAPI answers validation errors."""

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse


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

    app.add_exception_handler(Invalid, invalid)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(Forbidden, forbidden)
