"""Every request body is limited before it is read: JSON and forms to 1 MiB, uploads to their own
limits (documents, the CSV import, the `.ics` import). A declared length over the limit is
answered 413 at once, before anything is read; a body without one is counted as it streams in
and cut off with 413 when it passes the limit, so no request can make the gateway (or a service
in its process) hold more than its limit.
"""

import re

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIB = 1024 * 1024
DEFAULT_LIMIT = 1 * MIB
FORM_ALLOWANCE = 2 * MIB  # an upload's other form fields and the multipart framing
IMPORT_LIMIT = 10 * MIB + FORM_ALLOWANCE  # the deals service takes CSV files up to 10 MB
ICS_LIMIT = 2 * MIB + FORM_ALLOWANCE  # the calendar takes `.ics` files up to 2 MB

_DOCUMENTS = re.compile(
    r"^(/api/documents(/[^/]+/versions)?|/knowledge/(upload|pages|documents/[^/]+/versions)"
    r"|/deals/[^/]+/move)/?$"  # the move dialog takes the document a stage asks for
)
_IMPORTS = re.compile(r"^(/api/imports|/imports)/?$")
_ICS = re.compile(r"^(/api/calendar/import|/calendar/import)/?$")


def body_limit(path: str, *, upload_bytes: int) -> int:
    """The most bytes a request to `path` may send."""
    if _DOCUMENTS.match(path):
        return upload_bytes + FORM_ALLOWANCE
    if _IMPORTS.match(path):
        return IMPORT_LIMIT
    if _ICS.match(path):
        return ICS_LIMIT
    return DEFAULT_LIMIT


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """Plain ASGI: the body is never read here, only counted on its way to the app."""

    def __init__(self, app: ASGIApp, *, upload_bytes: int) -> None:
        self.app = app
        self.upload_bytes = upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"], upload_bytes=self.upload_bytes)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await too_large(limit)(scope, receive, send)
            return
        received = 0
        over = False
        started = False

        async def counted() -> Message:
            nonlocal received, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True  # the app sees the client gone; its answer is replaced below
                    return {"type": "http.disconnect"}
            return message

        async def answering(message: Message) -> None:
            nonlocal started
            if over and not started:
                return  # whatever the app makes of a cut-off body, the answer is the 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, answering)
        except Exception:
            if not over or started:
                raise
        if over and not started:
            await too_large(limit)(scope, receive, send)


def too_large(limit: int) -> JSONResponse:
    return JSONResponse(
        {"detail": f"the request is larger than {limit // MIB} MiB", "limit": limit},
        status_code=413,
        headers={"Connection": "close"},
    )
