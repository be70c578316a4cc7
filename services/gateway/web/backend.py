"""Pages calling the backend services as the signed-in user, and what a refusal means to a page.

Every page reaches a service through `ask` (the answer as it comes, for forms that show a
refusal next to their fields with `problems`) or `read` (the JSON of a success; anything else
raises `Refused`). A service that does not answer raises `ServiceUnavailable`. Both exceptions
become a status page, or a message in the open page for HTMX, in one place: `web/errors.py`.
"""

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
import pydantic_core
from fastapi import Request

from services.gateway.backends import Backends, ServiceUnavailable, origin
from services.gateway.identity import signed_identity
from services.gateway.tables import User
from services.gateway.web.i18n import gettext as _

T = TypeVar("T")


class Refused(Exception):
    """A service answered a page's read with an error: its status and what was wrong."""

    def __init__(self, service: str, status_code: int, problems: dict[str, str]) -> None:
        super().__init__(f"{service} answered {status_code}: {problems}")
        self.service = service
        self.status_code = status_code
        self.problems = problems


async def ask(
    request: Request, user: User, service: str, method: str, path: str, **kwargs: Any
) -> httpx.Response:
    """One call to `service` with `user`'s signed identity; the answer as it comes, but a
    failure of the service itself (5xx) raises `Refused`: it is never a problem of a form."""
    backends: Backends = request.app.state.backends
    identity = await signed_identity(request, user)
    headers = {**origin(request), **kwargs.pop("headers", {})}
    answer = await backends.request(
        service, method, path, identity=identity, headers=headers, **kwargs
    )
    if answer.is_server_error:
        raise Refused(service, answer.status_code, problems(answer))
    return answer


async def read(request: Request, user: User, service: str, path: str, **params: Any) -> Any:
    """The JSON of a GET the page needs; any refusal raises `Refused` with the service's reasons."""
    answer = await ask(request, user, service, "GET", path, params=params)
    if answer.is_success:
        return pydantic_core.from_json(answer.content)  # twice as fast as `json` on a board
    raise Refused(service, answer.status_code, problems(answer))


@dataclass(frozen=True)
class Part(Generic[T]):
    """A part of a page from a service that may be missing: its value or why it is not there."""

    value: T
    missing: str | None = None


async def part(reading: Awaitable[T], default: T) -> Part[T]:
    """Read a part of a page the rest can do without: a failing service leaves `default` and a
    sentence naming the service, and the rest of the page is shown."""
    try:
        return Part(await reading)
    except ServiceUnavailable as down:
        return Part(default, unavailable_message(down.service))
    except Refused as refused:
        return Part(default, "; ".join(refused.problems.values()))


def unavailable_message(service: str) -> str:
    return _("The %(service)s service is not answering right now; try again in a moment.") % {
        "service": service_label(service)
    }


def service_label(service: str) -> str:
    labels = {
        "deals": _("deals"),
        "calendar": _("calendar"),
        "planning": _("planning"),
        "knowledge": _("knowledge"),
    }
    return labels.get(service, service)


def problems(answer: httpx.Response, rename: Mapping[str, str] | None = None) -> dict[str, str]:
    """A service's refusal by field, in the reader's language; `form` for the request as a whole.

    FastAPI answers either a sentence (`{"detail": "..."}`) or a list of problems, each with a
    location naming where it came from and the field (`["body", "amount"]`); a form whose inputs
    are named otherwise passes `rename` (API field -> input).
    """
    try:
        detail = answer.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, list):
        found: dict[str, str] = {}
        for problem in detail:
            location = [str(part) for part in problem.get("loc", [])]
            field = location[1] if len(location) > 1 else "form"
            field = (rename or {}).get(field, field)
            message = _(str(problem.get("msg", "")).removeprefix("Value error, "))
            found[field] = f"{found[field]}; {message}" if field in found else message
        return found or {"form": _("The request was refused.")}
    if isinstance(detail, str) and detail:
        return {"form": _(detail)}
    return {"form": _("The request was refused (%(status)s).") % {"status": answer.status_code}}


def reasons(answer: httpx.Response) -> list[str]:
    """A service's refusal as sentences, for a page that shows them in one list."""
    return list(problems(answer).values())
