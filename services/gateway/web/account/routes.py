"""Sign-in and sign-out pages, choosing the language, and your own account."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from services.gateway.domain.people import time_zones
from services.gateway.identity import (
    SESSION_COOKIE,
    client_address,
    presented_token,
    signed_in_user,
)
from services.gateway.schemas import MeUpdate, PasswordChange
from services.gateway.tables import User
from services.gateway.usecases import auth, people
from services.gateway.usecases.auth import SESSION_TTL
from services.gateway.web.admin.forms import LANGUAGES, field_problems, translated
from services.gateway.web.common import PageUser, form_fields, redirect
from services.gateway.web.i18n import LOCALES
from services.gateway.web.i18n import gettext as _
from services.gateway.web.rendering import render, use_locale
from services.gateway.web.security import renew_csrf_token
from shared.deps import Sessions
from shared.errors import Invalid

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
    renew_csrf_token(request, response, session=token)
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


# --- the signed-in person's own account -----------------------------------------------------

MINE = ("name", "locale", "time_zone")


async def _account(
    request: Request,
    user: User,
    *,
    form: dict[str, Any] | None = None,
    problems: dict[str, str] | None = None,
    password_problems: dict[str, str] | None = None,
    notice: str | None = None,
) -> Response:
    context = {
        "form": form or {name: getattr(user, name) for name in MINE},
        "problems": problems or {},
        "password_problems": password_problems or {},
        "notice": notice,
        "languages": LANGUAGES,
        "zones": sorted(time_zones()),
    }
    failed = bool(problems or password_problems)
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if failed else status.HTTP_200_OK
    return render(request, "account/account.html", user, status_code=code, **context)


@router.get("/account")
async def account_page(request: Request, user: PageUser) -> Response:
    """Your name, language, time zone and password."""
    return await _account(request, user)


@router.post("/account")
async def change_account(request: Request, user: PageUser, sessions: Sessions) -> Response:
    form = {key: value for key, value in (await form_fields(request)).items() if key in MINE}
    try:
        changes = MeUpdate.model_validate(form).model_dump(exclude_unset=True)
        changed = await people.update_user(sessions, user.id, changes)
    except ValidationError as invalid:
        return await _account(request, user, form=form, problems=field_problems(invalid))
    except Invalid as invalid:
        return await _account(request, user, form=form, problems=translated(invalid))
    use_locale(request, changed)
    return await _account(request, changed, notice=_("Your details are saved."))


@router.post("/account/password")
async def change_password(request: Request, user: PageUser, sessions: Sessions) -> Response:
    submitted = await form_fields(request)
    body = {key: submitted.get(key, "") for key in ("current_password", "new_password")}
    try:
        change = PasswordChange.model_validate(body)
        await people.change_own_password(
            sessions,
            user,
            current=change.current_password,
            new=change.new_password,
            keep_token=presented_token(request),
        )
    except ValidationError as invalid:
        return await _account(request, user, password_problems=field_problems(invalid))
    except Invalid as invalid:
        return await _account(request, user, password_problems=translated(invalid))
    notice = _("Your password is changed; your other sessions and API tokens have ended.")
    return await _account(request, user, notice=notice)
