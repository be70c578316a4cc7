"""`/api/...`: the public JSON API, forwarded to the owning service with a signed identity."""

from collections.abc import AsyncIterator
from urllib.parse import quote_from_bytes

import httpx
from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.background import BackgroundTask

from services.gateway.backends import Backends, ServiceUnavailable, origin
from services.gateway.body_limits import DEFAULT_LIMIT
from services.gateway.domain.routing import may_use, owner_of
from services.gateway.identity import CurrentUser, signed_identity
from shared.auth import IDENTITY_HEADER
from shared.idempotency import KEY_HEADER, WRITES

router = APIRouter()

# Headers that describe one hop, not the message, and the caller's credentials (services get the
# signed identity instead): never forwarded either way.
HOP_BY_HOP = {
    "authorization",
    "cookie",
    "set-cookie",
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    IDENTITY_HEADER.lower(),
}


# Bodies up to this size are read before forwarding, so that a write can be sent again.
REPLAYABLE_BYTES = DEFAULT_LIMIT

# Left as written when forwarding: what a URL path may hold, percent escapes included.
_SAFE = "/%:@!$&'()*+,;=-._~"
# `.` and `..` would be resolved on the way, reaching a service's paths outside its API.
DOT_SEGMENTS = frozenset({".", ".."})


def has_dot_segments(path: str) -> bool:
    return not DOT_SEGMENTS.isdisjoint(path.split("/"))


def forwardable(headers: httpx.Headers | dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}


def _unavailable(service: str, reason: str) -> JSONResponse:
    return JSONResponse(
        {"detail": f"the {service} service is unavailable: {reason}", "service": service},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
    )


@router.api_route(
    "/api/calendar/feeds/{token}.ics", methods=["GET", "HEAD"], include_in_schema=False
)
async def calendar_feed(token: str, request: Request) -> Response:
    """iCalendar feeds are fetched by calendar apps without signing in: the address is the key.
    HEAD answers like GET, without the body."""
    backends: Backends = request.app.state.backends
    headers = {**origin(request)}
    if "if-none-match" in request.headers:
        headers["if-none-match"] = request.headers["if-none-match"]
    try:
        answer = await backends.request(
            "calendar", request.method, as_sent(request), identity=None, headers=headers
        )
    except ServiceUnavailable as down:
        return _unavailable(down.service, down.reason)
    answered = forwardable(answer.headers)
    if request.method == "HEAD" and "content-length" in answer.headers:
        answered["content-length"] = answer.headers["content-length"]
    return Response(answer.content, answer.status_code, headers=answered)


@router.api_route(
    "/api/{path:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
async def forward(path: str, request: Request, user: CurrentUser) -> Response:
    service = owner_of(path)
    if service is None or has_dot_segments(path):
        return JSONResponse({"detail": f"no API at /api/{path}"}, status_code=404)
    if not may_use(user.role, path):
        return JSONResponse(
            {"detail": "this part of the API is for the sales team"},
            status_code=status.HTTP_403_FORBIDDEN,
        )
    backends: Backends = request.app.state.backends
    try:
        answer = await backends.request(
            service,
            request.method,
            as_sent(request),
            identity=await signed_identity(request, user),
            stream=True,
            content=await _body(request),
            headers={**forwardable(dict(request.headers)), **origin(request)},
        )
    except ServiceUnavailable as down:
        return _unavailable(down.service, down.reason)
    passed = passed_on(answer)
    if request.method in WRITES and (key := answer.request.headers.get(KEY_HEADER)):
        passed.headers[KEY_HEADER] = key  # the caller may send it again to learn what became of it
    return passed


async def _body(request: Request) -> bytes | AsyncIterator[bytes] | None:
    """The body at hand when it is small (a JSON or form write: it can be sent again if the
    answer is lost), streamed when large or of no declared length (an upload)."""
    length = request.headers.get("content-length")
    if length is None:
        return request.stream() if "transfer-encoding" in request.headers else None
    if length.isdigit() and int(length) <= REPLAYABLE_BYTES:
        return await request.body()
    return request.stream()


def as_sent(request: Request) -> str:
    """The path and query as the caller wrote them: decoded, an encoded slash would become a
    separator and a control character an address no client can send."""
    path = quote_from_bytes(request.scope.get("raw_path") or request.url.path.encode(), _SAFE)
    query = quote_from_bytes(request.scope.get("query_string", b""), _SAFE + "?")
    return f"{path}?{query}" if query else path


def passed_on(answer: httpx.Response) -> Response:
    """A service's streamed answer, passed on as it arrives (a large download never sits whole
    in the gateway's memory), its length kept so a browser shows the progress."""
    headers = forwardable(answer.headers)
    if "content-length" in answer.headers:
        headers["content-length"] = answer.headers["content-length"]
    return StreamingResponse(
        answer.aiter_raw(),
        answer.status_code,
        headers=headers,
        background=BackgroundTask(answer.aclose),
    )
