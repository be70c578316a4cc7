"""Failures turned into pages, in one place for every page.

A service that does not answer gives a 503 page naming it; a refusal gives a page with the
service's status and reasons; a page the user may not open, an unknown address or a malformed
query gives its status page. An HTMX request keeps its page and shows the message instead.
The public API (`/api/...`) keeps FastAPI's JSON answers.
"""

from fastapi import FastAPI, Request, Response, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from services.gateway.backends import ServiceUnavailable
from services.gateway.identity import signed_in_user
from services.gateway.web.backend import Refused, service_label, unavailable_message
from services.gateway.web.common import SignInFirst, redirect
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import complaint, render, use_locale
from shared import validation
from shared.errors import Invalid, NotFound, problem_details

# Paths answered in JSON (or the service's own format) whatever happens.
MACHINE_PATHS = ("/api/", "/dav/", "/static/", "/healthz", "/readyz", "/metrics", "/openapi")


def _for_machines(request: Request) -> bool:
    return request.url.path.startswith(MACHINE_PATHS)


async def status_page(
    request: Request, status_code: int, title: str, reasons: list[str]
) -> Response:
    """The page (or, for HTMX, the message in the open page) saying why nothing is shown."""
    user = await signed_in_user(request)
    use_locale(request, user)
    if request.headers.get("HX-Request"):
        message = " ".join([title, *reasons])
        return Response(status_code=status_code, headers=complaint(message))
    return render(
        request, "error.html", user, status_code=status_code, title=title, reasons=reasons
    )


def _title(status_code: int) -> str:
    titles = {
        status.HTTP_403_FORBIDDEN: _("You may not open this."),
        status.HTTP_404_NOT_FOUND: _("Nothing here: it does not exist or is not yours to see."),
        status.HTTP_409_CONFLICT: _("This clashes with what is already there."),
        status.HTTP_413_CONTENT_TOO_LARGE: _("This is too large."),
        status.HTTP_422_UNPROCESSABLE_CONTENT: _(
            "This address asks for something the CRM cannot show."
        ),
        status.HTTP_429_TOO_MANY_REQUESTS: _("Too many attempts; try again later."),
    }
    return titles.get(status_code, _("This did not work."))


async def service_down(request: Request, down: Exception) -> Response:
    assert isinstance(down, ServiceUnavailable)
    if _for_machines(request):
        return Response(
            f'{{"detail": "the {down.service} service is unavailable: {down.reason}"}}',
            status.HTTP_503_SERVICE_UNAVAILABLE,
            media_type="application/json",
        )
    use_locale(request, await signed_in_user(request))
    title = _("The %(service)s service is not answering.") % {
        "service": service_label(down.service)
    }
    return await status_page(
        request, status.HTTP_503_SERVICE_UNAVAILABLE, title, [unavailable_message(down.service)]
    )


async def refused(request: Request, refusal: Exception) -> Response:
    assert isinstance(refusal, Refused)
    code = refusal.status_code if 400 <= refusal.status_code < 500 else status.HTTP_502_BAD_GATEWAY
    use_locale(request, await signed_in_user(request))
    # A service's "deal not found" is the title's sentence again, in the service's English.
    reasons = [] if code == status.HTTP_404_NOT_FOUND else list(refusal.problems.values())
    return await status_page(request, code, _title(code), reasons)


async def http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if _for_machines(request) or error.status_code < 400:
        return await http_exception_handler(request, error)
    use_locale(request, await signed_in_user(request))
    reasons = [str(error.detail)] if error.detail and error.status_code == 403 else []
    return await status_page(request, error.status_code, _title(error.status_code), reasons)


async def malformed(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    if _for_machines(request):
        return validation.answer(request, error)
    problems = error.errors()
    use_locale(request, await signed_in_user(request))
    if problems and all(problem.get("loc", ("",))[0] == "path" for problem in problems):
        # /deals/not-an-id names nothing there is: the same page as an id of nothing
        code = status.HTTP_404_NOT_FOUND
        return await status_page(request, code, _title(code), [])
    names = sorted({str(problem["loc"][-1]) for problem in problems if problem.get("loc")})
    reasons = [_("Check: %(names)s.") % {"names": ", ".join(names)}] if names else []
    code = status.HTTP_422_UNPROCESSABLE_CONTENT
    return await status_page(request, code, _title(code), reasons)


async def not_found(request: Request, error: Exception) -> Response:
    """A use case found no such record of the caller's: JSON for machines, else the 404 page."""
    if _for_machines(request):
        return JSONResponse({"detail": str(error)}, status.HTTP_404_NOT_FOUND)
    use_locale(request, await signed_in_user(request))
    code = status.HTTP_404_NOT_FOUND
    return await status_page(request, code, _title(code), [])


async def invalid(request: Request, error: Exception) -> Response:
    """A use case refused the input: the API's JSON for machines, else the reasons in the page."""
    assert isinstance(error, Invalid)
    if _for_machines(request):
        detail = problem_details(error.problems, error.where, error.context)
        return JSONResponse({"detail": detail}, error.status_code)
    use_locale(request, await signed_in_user(request))
    reasons = [_(problem) for problem in error.problems.values()]
    return await status_page(request, error.status_code, _title(error.status_code), reasons)


async def sign_in_first(request: Request, _: Exception) -> Response:
    return redirect(request, "/login")


async def gone(_: Request, __: Exception) -> Response:
    """The browser left before sending its whole form (a page closed, a live preview superseded):
    nobody is there to read an answer, and nothing went wrong here."""
    return Response(status_code=status.HTTP_400_BAD_REQUEST)


def install_page_errors(app: FastAPI) -> None:
    app.add_exception_handler(ServiceUnavailable, service_down)
    app.add_exception_handler(Refused, refused)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, malformed)
    app.add_exception_handler(SignInFirst, sign_in_first)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(Invalid, invalid)
    app.add_exception_handler(ClientDisconnect, gone)
