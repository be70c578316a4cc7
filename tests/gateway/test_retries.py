"""The gateway survives losing the replica a call reached: a read, and a write (with the key the
gateway gives it), is sent again on a new connection, and the caller sees no 5xx and no write
made twice. The deals service is served over HTTP behind a proxy that drops connections."""

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest
import uvicorn
from prometheus_client import REGISTRY

from services.deals.app import create_app as create_deals
from services.deals.settings import DealsSettings
from services.gateway.app import create_app
from services.gateway.backends import Backends
from services.gateway.settings import GatewaySettings
from shared.bus import InProcessBus
from shared.idempotency import KEY_HEADER, STATUS_HEADER
from shared.postgres import asyncpg_dsn
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, running
from shared.testing.processes import free_port
from tests.gateway.conftest import PASSWORD, add_user

QUIET_S = 0.3  # a peer silent this long has said all it had to say


async def _until_quiet(reader: asyncio.StreamReader) -> bytes:
    data = b""
    with contextlib.suppress(TimeoutError):
        while piece := await asyncio.wait_for(reader.read(65536), QUIET_S):
            data += piece
    return data


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


class Dropping:
    """A TCP proxy to a service replica; each fault queued drops one connection: `before`, the
    request never reaches the replica (it died); `after`, the replica makes it and its answer
    never comes back (it died before answering)."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.faults: list[str] = []
        self.dropped: Counter[str] = Counter()
        self.port = 0

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        fault = self.faults.pop(0) if self.faults else None
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream)
        try:
            if fault is None:
                await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
                return
            request = await _until_quiet(reader)
            if fault == "after":
                up_writer.write(request)
                await up_writer.drain()
                await _until_quiet(up_reader)  # the answer, made and lost
            self.dropped[fault] += 1
        finally:
            for end in (writer, up_writer):
                end.close()

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[None]:
        server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        async with server:
            yield


@pytest.fixture
async def through_dropping(
    service_database: Any, settings_for: Any, bus: InProcessBus
) -> AsyncIterator[tuple[httpx.AsyncClient, Dropping, str]]:
    """A gateway calling a deals replica over HTTP through `Dropping` (a new connection per
    call, so each fault meets the call it is meant for); the client signed in as the admin."""
    deals_url = await service_database("deals")
    deals = create_deals(DealsSettings(**settings_for(deals_url)), bus)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(deals, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done(), "deals did not start"
        await asyncio.sleep(0.05)
    dropping = Dropping(port)
    try:
        async with dropping.serving():
            client = httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{dropping.port}",
                timeout=5,
                limits=httpx.Limits(max_keepalive_connections=0),
            )
            settings = GatewaySettings(
                **settings_for(await service_database("gateway")),
                admin_email=ADMIN_EMAIL,
                admin_password=ADMIN_PASSWORD,
            )
            backends = Backends({"deals": client}, timeout=5)
            async with running(create_app(settings, bus, backends)) as gateway:
                gateway.headers.update(await bearer(gateway, ADMIN_EMAIL, ADMIN_PASSWORD))
                yield gateway, dropping, deals_url
    finally:
        server.should_exit = True
        await serving


def _resent(kind: str) -> float:
    labels = {"service": "deals", "kind": kind}
    return REGISTRY.get_sample_value("crm_gateway_resent_total", labels) or 0.0


async def test_a_read_and_a_write_whose_replica_was_lost_are_answered_once(
    through_dropping: tuple[httpx.AsyncClient, Dropping, str],
) -> None:
    gateway, dropping, deals_url = through_dropping
    resent_before = _resent("read")

    dropping.faults = ["before", "before"]
    listed = await gateway.get("/api/companies")
    assert listed.status_code == 200, listed.text
    assert dropping.dropped["before"] == 2
    assert _resent("read") == resent_before + 2

    dropping.faults = ["after"]
    made = await gateway.post("/api/companies", json={"name": "Zgubiona odpowiedź"})
    assert made.status_code == 201, made.text
    assert dropping.dropped["after"] == 1
    assert made.headers[STATUS_HEADER] == "replayed"  # the first attempt's, made once
    key = made.headers[KEY_HEADER]  # the key the gateway gave it, for the caller to repeat

    dropping.faults = ["after", "before"]
    moved = await gateway.patch(
        f"/api/companies/{made.json()['id']}",
        json={"name": "Zgubiona odpowiedź 2"},
        headers={KEY_HEADER: "callers-own-key-1"},
    )
    assert moved.status_code == 200, moved.text
    assert moved.headers[KEY_HEADER] == "callers-own-key-1"

    again = await gateway.post(
        "/api/companies", json={"name": "Zgubiona odpowiedź"}, headers={KEY_HEADER: key}
    )
    assert again.status_code == 201 and again.json()["id"] == made.json()["id"]

    connection = await asyncpg.connect(asyncpg_dsn(deals_url))
    try:
        names = await connection.fetch("SELECT name FROM company WHERE name LIKE 'Zgubiona%'")
    finally:
        await connection.close()
    assert [row["name"] for row in names] == ["Zgubiona odpowiedź 2"]


async def test_a_write_sent_as_a_stream_is_not_sent_twice(
    through_dropping: tuple[httpx.AsyncClient, Dropping, str],
) -> None:
    """A body of no declared length is passed on as it comes: it cannot be sent again, so its
    lost answer stays a 503, and the caller may repeat it with its key."""
    gateway, dropping, _ = through_dropping
    dropping.faults = ["before"]

    async def body() -> AsyncIterator[bytes]:
        yield b'{"name": "Strumie\xc5\x84 ' + uuid4().hex.encode() + b'"}'

    answer = await gateway.post(
        "/api/companies", content=body(), headers={"content-type": "application/json"}
    )
    assert answer.status_code == 503
    assert dropping.dropped["before"] == 1


async def test_the_gateways_own_writes_keep_each_callers_keys_apart(
    gateway: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """The gateway's own API keeps keys too (in its database), per caller: another caller's
    same key and body is another write, never the first caller's answer."""
    await add_user(gateway, admin, email="klucz@contentum.pl", role="manager")
    other = await bearer(gateway, "klucz@contentum.pl", PASSWORD)
    key = {KEY_HEADER: "shared-by-chance"}

    mine = await gateway.patch("/api/me", json={"locale": "en"}, headers={**admin, **key})
    theirs = await gateway.patch("/api/me", json={"locale": "en"}, headers={**other, **key})
    again = await gateway.patch("/api/me", json={"locale": "en"}, headers={**admin, **key})

    assert mine.status_code == theirs.status_code == again.status_code == 200
    assert theirs.json()["email"] == "klucz@contentum.pl" and STATUS_HEADER not in theirs.headers
    assert again.json() == mine.json() and again.headers[STATUS_HEADER] == "replayed"
