"""`/dav/`: CalDAV for phones and desktop calendars, forwarded to the calendar service.

Calendar programs sign in on every request with HTTP Basic: the user's e-mail and a personal
API token (`crm_pat_…`) as an app password. Wrong or missing credentials get a 401 asking for
Basic, and count against the sign-in throttle; staff of other departments get 403, as for the
rest of the sales API. `/.well-known/caldav` (RFC 6764) points to `/dav/`, and a PROPFIND on the
server's root is answered as one on `/dav/`, where clients find the current user's principal.
"""

import base64
import binascii

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import RedirectResponse

from services.gateway.api.auth import too_many_attempts
from services.gateway.api.proxy import forwardable
from services.gateway.backends import Backends, ServiceUnavailable, origin
from services.gateway.domain.routing import may_use
from services.gateway.identity import client_address, signed_identity
from services.gateway.tables import User
from services.gateway.usecases import auth

router = APIRouter(include_in_schema=False)

METHODS = ["OPTIONS", "PROPFIND", "PROPPATCH", "REPORT", "GET", "HEAD", "PUT", "DELETE"]
MAX_BODY = 1024 * 1024
CHALLENGE = {"WWW-Authenticate": 'Basic realm="Contentum CRM", charset="UTF-8"'}


@router.api_route("/.well-known/caldav", methods=["GET", "HEAD", "PROPFIND", "OPTIONS"])
async def well_known() -> Response:
    return RedirectResponse("/dav/", status_code=status.HTTP_301_MOVED_PERMANENTLY)


@router.api_route("/", methods=["PROPFIND"])
async def root(request: Request) -> Response:
    """Clients given only the server's address ask its root for the current user's principal."""
    return await _forward(request, "/dav/")


@router.api_route("/dav/", methods=METHODS)
@router.api_route("/dav/{path:path}", methods=METHODS)
async def dav(request: Request) -> Response:
    raw = request.scope.get("raw_path") or request.url.path.encode()
    return await _forward(request, raw.decode("latin-1"))


def _credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        email, colon, token = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (email, token) if colon else None


async def _signed_in(request: Request) -> User | Response:
    given = _credentials(request)
    if given is None:
        return Response("sign in with your e-mail and a personal API token", 401, CHALLENGE)
    try:
        return await auth.sign_in_with_api_token(
            request.app.state.sessions,
            email=given[0],
            token=given[1],
            address=client_address(request),
        )
    except auth.InvalidCredentials:
        return Response("wrong e-mail or API token", 401, CHALLENGE)
    except auth.Throttled as throttled:
        refusal = too_many_attempts(throttled)
        return Response(str(refusal.detail), refusal.status_code, refusal.headers)


async def _body(request: Request) -> bytes | None:
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY:
            return None
    return bytes(data)


async def _forward(request: Request, path: str) -> Response:
    user = await _signed_in(request)
    if isinstance(user, Response):
        return user
    if not may_use(user.role, "calendar"):  # CalDAV is the calendar's API
        return Response("the calendar is for the sales team", status.HTTP_403_FORBIDDEN)
    body = await _body(request)
    if body is None:
        return Response("the body is too large", status.HTTP_413_CONTENT_TOO_LARGE)
    backends: Backends = request.app.state.backends
    try:
        answer = await backends.request(
            "calendar",
            request.method,
            path,
            identity=await signed_identity(request, user),
            content=body,
            headers={**forwardable(dict(request.headers)), **origin(request)},
        )
    except ServiceUnavailable as down:
        return Response(down.reason, status.HTTP_503_SERVICE_UNAVAILABLE)
    headers = forwardable(answer.headers)
    if request.method == "HEAD" and "content-length" in answer.headers:
        headers["content-length"] = answer.headers["content-length"]
    return Response(answer.content, answer.status_code, headers=headers)
