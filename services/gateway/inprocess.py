"""Calling a service app in the same process, its answer streamed as the app sends it.

httpx's own `ASGITransport` collects a whole answer before returning it, so a 100 MB download
would sit whole in the gateway's memory in embedded mode. Here the app runs in a task beside
the caller and each piece of the body is handed on as it comes (a small queue between them).
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.types import ASGIApp, Message

_DONE = b""  # the end of the body (a body piece is never empty: empty pieces are skipped)


class StreamingASGITransport(httpx.AsyncBaseTransport):
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
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
        exchange = _Exchange(request.stream.__aiter__())
        task = asyncio.create_task(exchange.run(self.app, scope))
        started = asyncio.create_task(exchange.started.wait())
        await asyncio.wait({task, started}, return_when=asyncio.FIRST_COMPLETED)
        started.cancel()
        if task.done() and task.exception() is not None and exchange.status == 500:
            task.result()  # the app failed before answering: its error
        return httpx.Response(
            exchange.status, headers=exchange.headers, stream=_Body(exchange, task)
        )


class _Exchange:
    """One request's conversation with the app: its body in, the answer out."""

    def __init__(self, body: AsyncIterator[bytes]) -> None:
        self.body = body
        self.body_done = False
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.started = asyncio.Event()
        self.pieces: asyncio.Queue[bytes] = asyncio.Queue(maxsize=8)
        self.closed = asyncio.Event()

    async def receive(self) -> Message:
        if self.body_done:
            await self.closed.wait()
            return {"type": "http.disconnect"}
        try:
            piece = await self.body.__anext__()
        except StopAsyncIteration:
            self.body_done = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": piece, "more_body": True}

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
            self.started.set()
        elif message["type"] == "http.response.body":
            if message.get("body"):
                await self.pieces.put(bytes(message["body"]))
            if not message.get("more_body", False):
                await self.pieces.put(_DONE)

    async def run(self, app: ASGIApp, scope: dict[str, Any]) -> None:
        try:
            await app(scope, self.receive, self.send)
        finally:
            self.started.set()
            await self.pieces.put(_DONE)  # the end, said again in case the app did not


class _Body(httpx.AsyncByteStream):
    def __init__(self, exchange: _Exchange, task: "asyncio.Task[None]") -> None:
        self._exchange = exchange
        self._task = task

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (piece := await self._exchange.pieces.get()) != _DONE:
            yield piece
        if self._task.done() and not self._task.cancelled() and self._task.exception():
            raise self._task.exception()  # type: ignore[misc]  # the app failed mid-answer

    async def aclose(self) -> None:
        self._exchange.closed.set()
        if not self._task.done():
            self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
