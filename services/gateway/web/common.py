"""What every page needs: the signed-in user by role, the submitted form, redirects."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request, Response, status
from fastapi.responses import RedirectResponse

from services.gateway.identity import signed_in_user
from services.gateway.tables import User
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import use_locale


class SignInFirst(Exception):
    """A page needs a signed-in user; answered with a redirect to /login."""


async def page_user(request: Request) -> User:
    """The signed-in user of a page; their language holds for everything the page says."""
    user = await signed_in_user(request)
    if user is None:
        raise SignInFirst
    use_locale(request, user)
    return user


async def page_seller(user: Annotated[User, Depends(page_user)]) -> User:
    """A user of the sales pages: everyone but the staff of other departments."""
    if user.role == "staff":
        raise HTTPException(status.HTTP_403_FORBIDDEN, _("This page is for the sales team."))
    return user


async def page_admin(user: Annotated[User, Depends(page_user)]) -> User:
    if user.role != "admin":
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, _("Only an administrator may open this page.")
        )
    return user


PageUser = Annotated[User, Depends(page_user)]
PageSeller = Annotated[User, Depends(page_seller)]
PageAdmin = Annotated[User, Depends(page_admin)]


async def form_fields(request: Request, *, drop_blank: bool = False) -> dict[str, str]:
    """The fields of the submitted form as text; with `drop_blank`, the empty ones left out."""
    fields = {key: str(value) for key, value in (await request.form()).items()}
    return {key: value for key, value in fields.items() if value != ""} if drop_blank else fields


def redirect(request: Request, to: str) -> Response:
    """A redirect that also works for HTMX requests (which follow `HX-Redirect`)."""
    if request.headers.get("HX-Request"):
        return Response(status_code=status.HTTP_204_NO_CONTENT, headers={"HX-Redirect": to})
    return RedirectResponse(to, status.HTTP_303_SEE_OTHER)


def in_its_page(request: Request, page: str) -> Response | None:
    """A dialog's content asked for by the address bar (a bookmark, a reload, a link opened in
    a new tab): the page it belongs to, which opens it (`open`, app.js); None for the page's
    own request (HTMX)."""
    if request.headers.get("HX-Request"):
        return None
    asked = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{page}?{urlencode({'open': asked})}", status.HTTP_303_SEE_OTHER)
