"""Archiving and restoring from a record's page: one answer for companies, contacts and deals."""

from fastapi import Request, Response

from services.gateway.tables import User
from services.gateway.web.backend import Refused, ask, problems
from services.gateway.web.common import redirect


async def set_archived(request: Request, user: User, page: str, *, archive: bool) -> Response:
    """Archive (or restore) the record whose page is `page` and show the page again; a refusal
    (not one's own record) is the refusal's status page, or a message in the open page."""
    path = f"/api{page}/{'archive' if archive else 'restore'}"
    answer = await ask(request, user, "deals", "POST", path)
    if not answer.is_success:
        raise Refused("deals", answer.status_code, problems(answer))
    return redirect(request, page)
