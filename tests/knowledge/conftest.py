"""A knowledge service on its own database; people and groups arrive through the in-process bus."""

import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import text

from services.knowledge.app import create_app
from services.knowledge.settings import KnowledgeSettings
from shared.auth import Identity
from shared.bus import InProcessBus
from shared.db import SessionFactory
from shared.testing.apps import identity_headers, running
from shared.testing.people import person, team_changed, user_created
from shared.testing.processes import free_port
from shared.testing.waiting import eventually


@dataclass
class Knowledge:
    client: httpx.AsyncClient
    sessions: SessionFactory
    database_url: str = ""

    async def call(self, who: Identity, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {**identity_headers(who), **kwargs.pop("headers", {})}
        return await self.client.request(method, url, headers=headers, **kwargs)

    async def folder(self, who: Identity, name: str, **fields: Any) -> dict[str, Any]:
        answer = await self.call(who, "POST", "/api/folders", json={"name": name, **fields})
        assert answer.status_code == 201, answer.text
        return answer.json()  # type: ignore[no-any-return]

    async def upload(self, who: Identity, name: str, data: bytes, **fields: Any) -> dict[str, Any]:
        answer = await self.call(
            who, "POST", "/api/documents", files={"file": (name, data)}, data=fields
        )
        assert answer.status_code == 201, answer.text
        return answer.json()  # type: ignore[no-any-return]

    async def extracted(self, who: Identity, document_id: str) -> dict[str, Any]:
        """The document once its text has been extracted (or given up on)."""

        async def done() -> dict[str, Any] | None:
            found = (await self.call(who, "GET", f"/api/documents/{document_id}")).json()
            status = (found.get("extraction") or {}).get("status")
            return found if status in ("done", "failed", "unsupported") else None

        return await eventually(done, timeout=20, interval=0.1)  # type: ignore[no-any-return]

    async def events(self, type_: str) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            rows = await session.execute(
                text("SELECT envelope FROM outbox WHERE type = :type ORDER BY id"), {"type": type_}
            )
            return [row.envelope["data"] for row in rows]


@pytest.fixture
async def knowledge(
    new_database: Any, settings_for: Any, bus: InProcessBus
) -> AsyncIterator[Knowledge]:
    url = await new_database("knowledge")
    settings = KnowledgeSettings(**settings_for(url), extraction_interval=0.1)
    app = create_app(settings, bus)
    async with running(app) as client:
        client.headers.update(identity_headers())
        yield Knowledge(client, app.state.sessions, url)


Hire = Callable[..., Awaitable[Identity]]


@pytest.fixture
def hire(bus: InProcessBus) -> Hire:
    """A person the gateway announced (with their group, or their department for staff)."""

    async def make(role: str, team: UUID | None = None, department: UUID | None = None) -> Identity:
        who = person(role, team)
        if department is not None:
            who = who.model_copy(update={"department_id": str(department)})
        message = user_created(who, team)
        message.envelope["data"]["department_id"] = str(department) if department else None
        messages = [message]
        if role == "head" and team is not None:
            messages.append(team_changed(team, head=who))
        await bus.publish(messages)
        return who

    return make


async def add_group(bus: InProcessBus, *, parent: UUID | None = None) -> UUID:
    team = uuid4()
    await bus.publish([team_changed(team, head=None, parent=parent)])
    return team


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str

    def settings(self, bucket: str) -> dict[str, Any]:
        return {
            "storage": "s3",
            "s3_bucket": bucket,
            "s3_endpoint_url": self.endpoint_url,
            "s3_access_key_id": "test",
            "s3_secret_access_key": "test",
        }


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """An S3-compatible server (moto's standalone server) for the whole run, in its own process."""
    port = free_port()
    log = tmp_path_factory.mktemp("s3") / "moto.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(url, timeout=1)
                    break
                except httpx.TransportError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(f"moto did not start:\n{log.read_text()}") from None
                    time.sleep(0.1)
            yield S3Server(url)
        finally:
            process.terminate()
            process.wait(10)
