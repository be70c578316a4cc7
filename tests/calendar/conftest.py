"""A calendar service on its own database; people and groups arrive through the in-process bus."""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import text

from services.calendar.app import create_app
from services.calendar.settings import CalendarSettings
from shared.auth import Identity
from shared.bus import InProcessBus
from shared.db import SessionFactory
from shared.testing.apps import identity_headers, running
from shared.testing.people import person, team_changed, user_created


@dataclass
class Calendar:
    client: httpx.AsyncClient
    sessions: SessionFactory
    database_url: str

    async def call(self, who: Identity, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return await self.client.request(method, url, headers=identity_headers(who), **kwargs)

    async def plan(
        self, who: Identity, start: datetime, *, minutes: int = 15, **fields: Any
    ) -> dict[str, Any]:
        """A call (unless `kind` says otherwise) from `start`, `minutes` long, planned by `who`."""
        body = {
            "kind": "call",
            "title": "Telefon do klienta",
            "start": start.isoformat(),
            "end": (start + timedelta(minutes=minutes)).isoformat(),
            **fields,
        }
        answer = await self.call(who, "POST", "/api/activities", json=body)
        assert answer.status_code == 201, answer.text
        created: dict[str, Any] = answer.json()
        return created

    async def events(self, type_: str) -> list[dict[str, Any]]:
        """The `data` of every event of `type_` in the outbox, oldest first."""
        async with self.sessions() as session:
            rows = await session.execute(
                text("SELECT envelope FROM outbox WHERE type = :type ORDER BY id"),
                {"type": type_},
            )
            return [row.envelope["data"] for row in rows]


@pytest.fixture
async def calendar(
    service_database: Any, settings_for: Any, bus: InProcessBus
) -> AsyncIterator[Calendar]:
    url = await service_database("calendar")
    settings = CalendarSettings(**settings_for(url), scheduler_interval=0.2)
    app = create_app(settings, bus)
    async with running(app) as client:
        client.headers.update(identity_headers())
        yield Calendar(client, app.state.sessions, url)


Hire = Callable[..., Awaitable[Identity]]


@pytest.fixture
def hire(bus: InProcessBus) -> Hire:
    """A person the gateway announced (with their group; a head heads it)."""

    async def make(
        role: str, team: UUID | None = None, time_zone: str = "Europe/Warsaw"
    ) -> Identity:
        who = person(role, team)
        messages = [user_created(who, team, time_zone=time_zone)]
        if role == "head" and team is not None:
            messages.append(team_changed(team, head=who))
        await bus.publish(messages)
        return who

    return make


def group() -> UUID:
    return uuid4()
