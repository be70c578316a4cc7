"""A process's first answers while it loads: alive at once, ready once the CRM is started.

`crm run` listens before it has imported the services, started the embedded PostgreSQL and
built the apps: `Loading` does that work in a worker thread, then runs the loaded app's lifespan
(migrations, the first administrator, consumers, schedulers) and hands every request on to it.
Meanwhile `/healthz` answers that the process is alive and starting, `/readyz` answers 503, and
every other request waits for the CRM (a page asked for during the start is answered when it is
up). A start that fails is logged and ends the process.
"""

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.types import Message, Receive, Scope, Send

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger(__name__)

PATIENCE = 120.0  # seconds a request waits for the start before it is answered 503


class Loading:
    """The ASGI app a server starts with; it serves what `load` returns once that is started."""

    def __init__(
        self,
        load: "Callable[[], FastAPI]",
        *,
        on_ready: "Callable[[FastAPI], None]" = lambda _: None,
        on_failure: Callable[[], None] = lambda: None,
        patience: float = PATIENCE,
    ) -> None:
        self._load = load
        self._on_ready = on_ready
        self._on_failure = on_failure
        self._patience = patience
        self.app: FastAPI | None = None  # once loaded and started
        self.failed = False
        self._settled = asyncio.Event()  # started, or failed
        self._stop = asyncio.Event()
        self._running: asyncio.Task[None] | None = None
        self._loading = True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is not None:
            await self.app(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http" and scope["path"] == "/healthz":
            await _answer(send, 200, {"status": "starting"})
        elif scope["type"] == "http" and scope["path"] == "/readyz":
            await _answer(send, 503, {"status": "starting"})
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._settled.wait(), self._patience)
            if self.app is None:
                if scope["type"] == "http":
                    await _answer(send, 503, {"detail": "The CRM is not started."})
                return  # a websocket handshake never answered is refused by the server
            await self.app(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._running = asyncio.create_task(self._run(), name="crm start")
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self._stop.set()
                if self._running is not None:
                    if self._loading:  # nothing started yet: what is loading goes with the process
                        self._running.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await self._running
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _run(self) -> None:
        """Load, start and keep the app's lifespan open until the server stops."""
        try:
            app = await _in_daemon_thread(self._load)
            self._loading = False
            if self._stop.is_set():  # told to stop while loading
                return
            async with app.router.lifespan_context(app):
                self.app = app
                self._settled.set()
                self._on_ready(app)
                await self._stop.wait()
        except Exception:
            if self.app is not None:  # it ran: this was on the way out
                log.exception("the CRM did not stop cleanly")
                return
            log.exception("the CRM could not start")
            self.failed = True
            self._settled.set()
            self._on_failure()


async def _in_daemon_thread(load: "Callable[[], FastAPI]") -> "FastAPI":
    """`load()` in a thread of its own that the process does not wait for: a stop during the
    start (Ctrl+C, a SIGTERM while PostgreSQL does not answer) ends the process at once; what
    the thread had started (the embedded PostgreSQL) is stopped by the exit handlers."""
    loop = asyncio.get_running_loop()
    loaded: asyncio.Future[FastAPI] = loop.create_future()

    def settle(app: "FastAPI | None", error: BaseException | None) -> None:
        if loaded.done():  # cancelled: the stop came first
            return
        if error is not None:
            loaded.set_exception(error)
        else:
            loaded.set_result(app)  # type: ignore[arg-type]

    def work() -> None:
        try:
            app = load()
        except BaseException as error:  # handed to the waiting task, which reports it
            result: tuple[FastAPI | None, BaseException | None] = (None, error)
        else:
            result = (app, None)
        with contextlib.suppress(RuntimeError):  # the loop is gone: the process is ending
            loop.call_soon_threadsafe(settle, *result)

    threading.Thread(target=work, name="crm-load", daemon=True).start()
    return await loaded


async def _answer(send: Send, status: int, body: dict[str, str]) -> None:
    content = json.dumps(body).encode()
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(content)).encode()),
            (b"cache-control", b"no-store"),
        ],
    }
    await send(start)
    await send({"type": "http.response.body", "body": content})
