"""Sign-in and sign-out pages, and choosing the language."""

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse

from services.gateway.identity import (
    SESSION_COOKIE,
    client_address,
    presented_token,
    signed_in_user,
)
from services.gateway.usecases import auth, people
from services.gateway.usecases.auth import SESSION_TTL
from services.gateway.web.common import redirect
from services.gateway.web.i18n import LOCALES
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import render, use_locale
from services.gateway.web.security import renew_csrf_token
from shared.deps import Sessions

router = APIRouter(include_in_schema=False)


@router.get("/login")
async def login_page(request: Request) -> Response:
    if await signed_in_user(request):
        return redirect(request, "/")
    return render(request, "account/login.html", None)


@router.post("/login")
async def login(
    request: Request,
    sessions: Sessions,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Response:
    try:
        _user, token = await auth.sign_in(
            sessions, email=email, password=password, address=client_address(request)
        )
    except auth.InvalidCredentials:
        use_locale(request, None)  # the message below in the visitor's language
        return HTMLResponse(_("Wrong e-mail or password."), status.HTTP_401_UNAUTHORIZED)
    except auth.Throttled:
        use_locale(request, None)
        return HTMLResponse(
            _("Too many failed attempts. Try again later."), status.HTTP_429_TOO_MANY_REQUESTS
        )
    response = redirect(request, "/")
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies or request.url.scheme == "https",
    )
    renew_csrf_token(request, response)
    return response


@router.post("/logout")
async def logout(request: Request, sessions: Sessions) -> Response:
    if token := presented_token(request):
        await auth.sign_out(sessions, token)
    response = redirect(request, "/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/preferences/locale")
async def choose_locale(
    request: Request, sessions: Sessions, locale: Annotated[str, Form()]
) -> Response:
    if locale not in LOCALES:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"language must be one of {LOCALES}"
        )
    if user := await signed_in_user(request):
        await people.update_user(sessions, user.id, {"locale": locale})
    response = Response(status_code=status.HTTP_204_NO_CONTENT, headers={"HX-Refresh": "true"})
    response.set_cookie("crm_locale", locale, max_age=365 * 24 * 3600, samesite="lax")
    return response
