"""Browser protections: CSRF tokens on every state change, and strict security headers."""

import base64
import hashlib
import hmac
import secrets
from http.cookies import SimpleCookie

from fastapi import FastAPI, Request, Response, status
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
# As an answer carries them (lower-case names), added in one go to every answer.
_SECURITY_RAW = [
    (name.lower().encode("latin-1"), value.encode("latin-1"))
    for name, value in SECURITY_HEADERS.items()
]
SECURITY_NAMES = frozenset(name for name, _ in _SECURITY_RAW)


def _calendar_client(method: str, path: str, authorization: bytes) -> bool:
    """A CalDAV client: `/dav/` with HTTP Basic credentials (the address and a personal token).

    A browser could replay cached Basic credentials, but not with DAV's writes: PUT and DELETE
    from another site need a CORS preflight the gateway never grants, and `/dav/` takes no POST
    (the one method a plain form sends), so such requests cannot be forged from a page.
    """
    scheme = authorization.partition(b" ")[0].lower()
    return path.startswith("/dav/") and scheme == b"basic" and method != "POST"


def needs_csrf_token(method: str, path: str, authorization: bytes, cookies: dict[str, str]) -> bool:
    """State changes from a browser need the token; API clients with a bearer token send no
    cookies, and CalDAV clients sign in on every request with HTTP Basic."""
    if method not in UNSAFE_METHODS or _calendar_client(method, path, authorization):
        return False
    return not (path.startswith("/api/") and SESSION_COOKIE not in cookies)


def _inline_document(path: str, headers: MutableHeaders) -> bool:
    """A knowledge document's content the service chose to show inline (its preview)."""
    return path.startswith("/api/documents/") and headers.get("content-disposition", "").startswith(
        "inline"
    )


def add_security_headers(path: str, raw: list[tuple[bytes, bytes]]) -> None:
    """The security headers added to an answer's `raw` headers, which hold none of their own."""
    raw.extend(_SECURITY_RAW)
    if path.startswith("/api/documents/") or path in API_EXPLORER:
        headers = MutableHeaders(raw=raw)
        if _inline_document(path, headers):
            headers["Content-Security-Policy"] = INLINE_CONTENT_POLICY
            headers["X-Frame-Options"] = "SAMEORIGIN"
        if path in API_EXPLORER:  # FastAPI's explorer pages use inline scripts
            del headers["Content-Security-Policy"]


# A CSRF token is bound to the session it was made for (a signed double-submit cookie): a token
# set in the browser by someone else (a neighbouring site writing cookies for the domain) or
# kept from before signing in is refused, not merely compared with the header.
def csrf_token(secret: str, session: str | None) -> str:
    """A new token for `session` (None: not signed in): a random part and its seal."""
    random_part = secrets.token_urlsafe(24)
    return f"{random_part}.{_seal(secret, random_part, session)}"


def csrf_token_fits(token: str, secret: str, session: str | None) -> bool:
    """Whether `token` was made by this CRM for `session`."""
    random_part, _, seal = token.partition(".")
    return bool(random_part) and hmac.compare_digest(seal, _seal(secret, random_part, session))


def _seal(secret: str, random_part: str, session: str | None) -> str:
    bound = hashlib.sha256((session or "").encode()).hexdigest()
    message = f"crm-csrf|{random_part}|{bound}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def renew_csrf_token(request: Request, response: Response, session: str) -> None:
    """A new CSRF token with a new session: a token known before signing in (planted in the
    browser, or read over its shoulder) is worth nothing after it."""
    secure = request.app.state.settings.secure_cookies or request.url.scheme == "https"
    token = csrf_token(request.app.state.identity_secret, session)
    response.headers.append("set-cookie", csrf_cookie(token, secure=secure))


def csrf_cookie(token: str, *, secure: bool) -> str:
    cookie: SimpleCookie = SimpleCookie()
    cookie[CSRF_COOKIE] = token
    cookie[CSRF_COOKIE]["path"] = "/"
    cookie[CSRF_COOKIE]["httponly"] = True
    cookie[CSRF_COOKIE]["samesite"] = "strict"
    if secure:
        cookie[CSRF_COOKIE]["secure"] = True
    return cookie.output(header="").strip()


class BrowserSecurity:
    """The CSRF check and cookie, and the security headers on every answer (plain ASGI: no
    task and no copied body per request, as `BaseHTTPMiddleware` would add)."""

    def __init__(self, app: ASGIApp, *, secure_cookies: bool, secret: str) -> None:
        self.app = app
        self.secure_cookies = secure_cookies
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Read from the raw headers: a `Request` would build the URL and more for every answer.
        cookie_header = authorization = b""
        for name, value in scope["headers"]:
            if name == b"cookie" and not cookie_header:
                cookie_header = value
            elif name == b"authorization" and not authorization:
                authorization = value
        cookies = cookie_parser(cookie_header.decode("latin-1")) if cookie_header else {}
        session = cookies.get(SESSION_COOKIE)
        cookie = cookies.get(CSRF_COOKIE)
        if cookie and not csrf_token_fits(cookie, self.secret, session):
            cookie = None  # another session's, or not the CRM's: replaced below
        path: str = scope["path"]
        if needs_csrf_token(scope["method"], path, authorization, cookies):
            sent = Headers(scope=scope)
            presented = sent.get(CSRF_HEADER, "")
            if not cookie or not hmac.compare_digest(presented, cookie):
                # A page's request is refused when the page is older than its session (signed
                # in or out in another tab): the page is reloaded, with the session as it is now.
                reload = {"HX-Refresh": "true"} if sent.get("HX-Request") else {}
                refusal = JSONResponse(
                    {"detail": "the CSRF token is missing or wrong; reload the page and try again"},
                    status.HTTP_403_FORBIDDEN,
                    headers={**SECURITY_HEADERS, **reload},
                )
                await refusal(scope, receive, send)
                return
        # A client with a bearer token, or a calendar program, is sent no CSRF cookie (and sends
        # none back): none is made for it.
        cookieless = authorization[:7].lower() == b"bearer " or path.startswith(
            CALENDAR_CLIENT_PATHS
        )
        token = cookie or ("" if cookieless else csrf_token(self.secret, session))
        scope.setdefault("state", {})["csrf_token"] = token  # `request.state.csrf_token`
        new_cookie = (
            None
            if cookie or cookieless
            else csrf_cookie(token, secure=self.secure_cookies or scope["scheme"] == "https")
        )

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                # The security headers replace any of the same name the answer came with.
                raw = [h for h in message.get("headers", ()) if h[0].lower() not in SECURITY_NAMES]
                add_security_headers(path, raw)
                if new_cookie:
                    raw.append((b"set-cookie", new_cookie.encode("latin-1")))
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, secured)


def install_browser_security(app: FastAPI, *, secure_cookies: bool, secret: str) -> None:
    app.add_middleware(BrowserSecurity, secure_cookies=secure_cookies, secret=secret)
