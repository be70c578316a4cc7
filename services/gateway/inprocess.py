"""Calling a service app in the same process, without a network-style hop.

A call of the public API is handed to the service app as it came (`hand_on`): the same ASGI
conversation, the body streamed in from the caller and the answer streamed out to it (a 100 MB
download never sits whole in memory), with only the headers changed (the signed identity instead
of the caller's credentials). A page's call (`call`) runs the app in the page's own task and
collects the answer for the page to read: no client, no transport, no task and queue between.
"""

import asyncio
import logging
from collections.abc import Callable

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)


async def hand_on(
    app: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    headers: list[tuple[bytes, bytes]],
    dropped: frozenset[bytes],
    completed: Callable[[list[tuple[bytes, bytes]]], None] | None = None,
) -> None:
    """The request being answered, answered by `app`: the same conversation with `headers`
    sent instead of the caller's; the answer's headers but `dropped` passed on as they are,
    with what `completed` adds to them."""
    service_scope = {
        "type": "http",
        "asgi": scope.get("asgi", {"version": "3.0"}),
        "http_version": scope.get("http_version", "1.1"),
        "method": scope["method"],
        "scheme": scope["scheme"],
        "path": scope["path"],
        "raw_path": scope.get("raw_path"),
        "query_string": scope["query_string"],
        "root_path": "",
        "headers": headers,
        "server": scope.get("server"),
        "client": scope.get("client"),
    }
    started = False

    async def passing(message: Message) -> None:
        nonlocal started
        if message["type"] == "http.response.start":
            started = True
            kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in dropped]
            if completed is not None:
                completed(kept)
            message = {**message, "headers": kept}
        await send(message)

    try:
        await app(service_scope, receive, passing)
    except Exception:
        if not started:
            raise
        # The service answered (its 500, or part of a body), and its app raised the failure
        # on for the server to log, as a server of its own would: logged here, since this is
        # where it ends. The caller has the answer as far as it got.
        log.exception("%s %s failed", scope["method"], scope["path"])


async def call(app: ASGIApp, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
    """`request` answered by `app` in this task; the whole answer, read (with `stream`, left
    unread as a client's streamed answer is, for the caller to pass on and close)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "headers": [(k.lower(), v) for (k, v) in request.headers.raw],
        "scheme": request.url.scheme,
        "path": request.url.path,
        "raw_path": request.url.raw_path.split(b"?")[0],
        "query_string": request.url.query,
        "server": (request.url.host, request.url.port),
        "client": ("127.0.0.1", 123),
        "root_path": "",
    }
    body = request.stream.__aiter__()  # type: ignore[union-attr]
    answered = asyncio.Event()
    status = 500
    headers: list[tuple[bytes, bytes]] = []
    pieces: list[bytes] = []
    body_done = False

    async def receive() -> Message:
        nonlocal body_done
        if body_done:
            await answered.wait()  # e.g. a streaming answer listening for the caller to leave
            return {"type": "http.disconnect"}
        try:
            piece = await body.__anext__()
        except StopAsyncIteration:
            body_done = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": piece, "more_body": True}

    async def send(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status, headers = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            pieces.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                answered.set()

    try:
        await app(scope, receive, send)
    finally:
        answered.set()
    body = b"".join(pieces)
    if stream:
        return httpx.Response(
            status, headers=headers, stream=httpx.ByteStream(body), request=request
        )
    return httpx.Response(status, headers=headers, content=body, request=request)
