"""What awaits an outcome report: the list, and the count shown next to Calendar on every page."""

from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from markupsafe import escape

from services.gateway.tables import User
from services.gateway.web.backend import part, read
from services.gateway.web.calendar.activities import KINDS
from services.gateway.web.common import PageSeller
from services.gateway.web.i18n import ngettext
from services.gateway.web.rendering import render

router = APIRouter(include_in_schema=False)


def _whose(user: User) -> dict[str, str]:
    """The owner's own activities; a head's or the administrator's group sees them all."""
    return {} if user.role in ("head", "admin") else {"owner_id": str(user.id)}


@router.get("/calendar/awaiting")
async def awaiting_page(
    request: Request, user: PageSeller, activity: UUID | None = None
) -> Response:
    """What ended without an outcome report: the owner's, or the group's for a head."""
    items = await read(request, user, "calendar", "/api/calendar/awaiting", **_whose(user))
    context = {"items": items, "kinds": KINDS, "open_activity": activity}
    return render(request, "calendar/awaiting.html", user, **context)


@router.get("/calendar/awaiting/count")
async def awaiting_count(request: Request, user: PageSeller) -> Response:
    """How many of the user's own activities await an outcome, for the counter next to
    Calendar. Pages ask every minute and when a notification or an outcome changes it; with the
    calendar down, the counter is simply empty."""
    mine = {"owner_id": str(user.id)}
    found = await part(read(request, user, "calendar", "/api/calendar/awaiting", **mine), [])
    count = len(found.value)
    if not count:
        return HTMLResponse("")
    title = escape(
        ngettext("%(num)d activity awaits an outcome", "%(num)d activities await an outcome", count)
        % {"num": count}
    )
    return HTMLResponse(f'<span title="{title}" aria-label="{title}">{count}</span>')
