"""`/api/...`: the public JSON API, forwarded to the owning service with a signed identity."""

import httpx
from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.background import BackgroundTask

from services.gateway.backends import Backends, ServiceUnavailable, origin
from services.gateway.domain.routing import may_use, owner_of
from services.gateway.identity import CurrentUser, signed_identity
from shared.auth import IDENTITY_HEADER

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


def _forwardable(headers: httpx.Headers | dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}


def _unavailable(service: str, reason: str) -> JSONResponse:
    return JSONResponse(
        {"detail": f"the {service} service is unavailable: {reason}", "service": service},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
    )


@router.get("/api/calendar/feeds/{token}.ics", include_in_schema=False)
async def calendar_feed(token: str, request: Request) -> Response:
    """iCalendar feeds are fetched by calendar apps without signing in: the address is the key."""
    backends: Backends = request.app.state.backends
    headers = {**origin(request)}
    if "if-none-match" in request.headers:
        headers["if-none-match"] = request.headers["if-none-match"]
    try:
        answer = await backends.request(
            "calendar", "GET", f"/api/calendar/feeds/{token}.ics", identity=None, headers=headers
        )
    except ServiceUnavailable as down:
        return _unavailable(down.service, down.reason)
    return Response(answer.content, answer.status_code, headers=_forwardable(answer.headers))


@router.api_route(
    "/api/{path:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
async def forward(path: str, request: Request, user: CurrentUser) -> Response:
    service = owner_of(path)
    if service is None:
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
            f"/api/{path}",
            identity=await signed_identity(request, user),
            stream=True,
            params=request.query_params,
            content=request.stream(),
            headers={**_forwardable(dict(request.headers)), **origin(request)},
        )
    except ServiceUnavailable as down:
        return _unavailable(down.service, down.reason)
    return passed_on(answer)


def passed_on(answer: httpx.Response) -> Response:
    """A service's streamed answer, passed on as it arrives (a large download never sits whole
    in the gateway's memory), its length kept so a browser shows the progress."""
    headers = _forwardable(answer.headers)
    if "content-length" in answer.headers:
        headers["content-length"] = answer.headers["content-length"]
    return StreamingResponse(
        answer.aiter_raw(),
        answer.status_code,
        headers=headers,
        background=BackgroundTask(answer.aclose),
    )
