"""A process answers at once while it loads: alive, not ready, and its requests wait for the app."""

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.types import Message

from services.starting import Loading
from shared.testing.waiting import eventually


class Lifespan:
    """Drives an ASGI app's lifespan as a server does."""

    def __init__(self, app: Loading) -> None:
        self.app = app
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.said: list[str] = []
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.app({"type": "lifespan"}, self._receive, self._send))
        await self.inbox.put({"type": "lifespan.startup"})
        await eventually(lambda: "lifespan.startup.complete" in self.said)

    async def stop(self) -> None:
        await self.inbox.put({"type": "lifespan.shutdown"})
        assert self.task is not None
        await asyncio.wait_for(self.task, 10)

    async def _receive(self) -> dict[str, Any]:
        return await self.inbox.get()

    async def _send(self, message: Message) -> None:
        self.said.append(message["type"])


def crm_app(events: list[str]) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        events.append("started")
        yield
        events.append("stopped")

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/companies")
    async def companies() -> list[str]:
        return ["Hurtownia Kraków"]

    return app


async def test_it_answers_alive_at_once_and_serves_a_waiting_request_when_the_app_is_up() -> None:
    events: list[str] = []
    loaded = threading.Event()
    ready: list[FastAPI] = []

    def load() -> FastAPI:
        loaded.wait(10)  # imports, PostgreSQL, building the apps
        return crm_app(events)

    loading = Loading(load, on_ready=ready.append)
    lifespan = Lifespan(loading)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=loading), base_url="http://crm")
    await lifespan.start()

    alive = await client.get("/healthz")
    not_ready = await client.get("/readyz")
    waiting = asyncio.create_task(client.get("/companies"))
    await asyncio.sleep(0.1)
    still_waiting = not waiting.done()
    loaded.set()
    answered = await asyncio.wait_for(waiting, 10)
    then_alive = await client.get("/healthz")
    await lifespan.stop()

    assert (alive.status_code, alive.json()) == (200, {"status": "starting"})
    assert (not_ready.status_code, not_ready.json()) == (503, {"status": "starting"})
    assert still_waiting and events == ["started", "stopped"]
    assert (answered.status_code, answered.json()) == (200, ["Hurtownia Kraków"])
    assert then_alive.json() == {"status": "ok"}  # the app's own, once it is up
    assert ready == [loading.app] and not loading.failed


async def test_a_failed_start_says_so_to_whoever_waits_and_ends_the_server() -> None:
    ended: list[bool] = []

    def load() -> FastAPI:
        raise ConnectionRefusedError("no PostgreSQL at 127.0.0.1:1")

    loading = Loading(load, on_failure=lambda: ended.append(True))
    lifespan = Lifespan(loading)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=loading), base_url="http://crm")
    await lifespan.start()

    answered = await client.get("/companies")
    await lifespan.stop()

    assert (answered.status_code, answered.json()) == (503, {"detail": "The CRM is not started."})
    assert loading.failed and ended == [True] and loading.app is None


async def test_a_request_waits_only_as_long_as_its_patience() -> None:
    loaded = threading.Event()
    loading = Loading(lambda: (loaded.wait(10), crm_app([]))[1], patience=0.05)
    lifespan = Lifespan(loading)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=loading), base_url="http://crm")
    await lifespan.start()

    answered = await client.get("/companies")
    loaded.set()
    await lifespan.stop()

    assert answered.status_code == 503


async def test_told_to_stop_while_loading_it_never_starts_the_app() -> None:
    events: list[str] = []
    loaded = threading.Event()

    def load() -> FastAPI:
        loaded.wait(10)
        return crm_app(events)

    loading = Loading(load)
    lifespan = Lifespan(loading)
    await lifespan.start()
    stopping = asyncio.create_task(lifespan.stop())
    await asyncio.sleep(0.05)
    loaded.set()
    await stopping

    assert events == [] and loading.app is None
    assert lifespan.said == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


async def test_a_stop_while_it_loads_does_not_wait_for_the_load() -> None:
    released = threading.Event()
    events: list[str] = []

    def load() -> FastAPI:
        released.wait(30)  # a database that never answers
        return crm_app(events)

    loading = Loading(load)
    lifespan = Lifespan(loading)
    await lifespan.start()
    await asyncio.wait_for(lifespan.stop(), 2)
    released.set()

    assert events == [] and loading.app is None and not loading.failed
