"""Browser protections: CSRF tokens on every state change, and strict security headers."""

import hmac
import secrets
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response, status
from fastapi.responses import JSONResponse

from services.gateway.identity import SESSION_COOKIE

CSRF_COOKIE = "crm_csrf"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_EXPLORER = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
# Fetched by calendar programs, never by pages: their answers set no cookie.
CALENDAR_CLIENT_PATHS = ("/api/calendar/feeds/", "/dav/", "/.well-known/caldav")

# No inline script or style anywhere: everything comes from /static.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
# A document shown inline (a PDF, an image, text) may be framed by the CRM's own pages, for
# its preview; nothing it holds may load anything.
INLINE_CONTENT_POLICY = "; ".join(
    [
        "default-src 'none'",
        "img-src 'self'",
        "style-src 'unsafe-inline'",
        "object-src 'self'",
        "frame-ancestors 'self'",
        "base-uri 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def _calendar_client(request: Request) -> bool:
    """A CalDAV client: `/dav/` with HTTP Basic credentials (the address and a personal token).

    A browser could replay cached Basic credentials, but not with DAV's writes: PUT and DELETE
    from another site need a CORS preflight the gateway never grants, and `/dav/` takes no POST
    (the one method a plain form sends), so such requests cannot be forged from a page.
    """
    scheme = request.headers.get("authorization", "").partition(" ")[0].lower()
    return request.url.path.startswith("/dav/") and scheme == "basic" and request.method != "POST"


def needs_csrf_token(request: Request) -> bool:
    """State changes from a browser need the token; API clients with a bearer token send no
    cookies, and CalDAV clients sign in on every request with HTTP Basic."""
    if request.method not in UNSAFE_METHODS or _calendar_client(request):
        return False
    return not (request.url.path.startswith("/api/") and SESSION_COOKIE not in request.cookies)


def _inline_document(request: Request, response: Response) -> bool:
    """A knowledge document's content the service chose to show inline (its preview)."""
    return request.url.path.startswith("/api/documents/") and response.headers.get(
        "content-disposition", ""
    ).startswith("inline")


def _set_csrf_cookie(request: Request, response: Response, token: str, secure: bool) -> None:
    response.set_cookie(
        CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=secure or request.url.scheme == "https",
    )


def renew_csrf_token(request: Request, response: Response) -> None:
    """A new CSRF token with a new session: a token known before signing in (planted in the
    browser, or read over its shoulder) is worth nothing after it."""
    secure = request.app.state.settings.secure_cookies
    _set_csrf_cookie(request, response, secrets.token_urlsafe(32), secure)


def install_browser_security(app: FastAPI, *, secure_cookies: bool) -> None:
    @app.middleware("http")
    async def browser_security(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        cookie = request.cookies.get(CSRF_COOKIE)
        if needs_csrf_token(request):
            presented = request.headers.get(CSRF_HEADER, "")
            if not cookie or not hmac.compare_digest(presented, cookie):
                return JSONResponse(
                    {"detail": "the CSRF token is missing or wrong; reload the page and try again"},
                    status.HTTP_403_FORBIDDEN,
                )
        request.state.csrf_token = cookie or secrets.token_urlsafe(32)
        response = await call_next(request)
        if cookie is None and not request.url.path.startswith(CALENDAR_CLIENT_PATHS):
            _set_csrf_cookie(request, response, request.state.csrf_token, secure_cookies)
        response.headers.update(SECURITY_HEADERS)
        if _inline_document(request, response):
            response.headers["Content-Security-Policy"] = INLINE_CONTENT_POLICY
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
        if request.url.path in API_EXPLORER:  # FastAPI's explorer pages use inline scripts
            del response.headers["Content-Security-Policy"]
        return response
