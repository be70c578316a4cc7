"""A deals service on its own database, people replicated into it through the in-process bus."""

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from services.deals.app import create_app
from services.deals.settings import DealsSettings
from shared.auth import Identity
from shared.bus import InProcessBus, Message
from shared.contracts.gateway import UserCreated
from shared.events import Contract, new_event
from shared.testing.apps import identity_headers, running

NORTH, SOUTH = uuid4(), uuid4()


def person(role: str, team: UUID | None) -> Identity:
    return Identity(
        user_id=str(uuid4()),
        role=role,
        team_ids=[str(team)] if team else [],
        locale="en",
    )


def as_message(data: Contract, subject: object) -> Message:
    event = new_event(data, subject=subject, time=datetime.now(UTC))
    return Message(topic=data.topic, key=str(subject), envelope=event.model_dump(mode="json"))


@pytest.fixture
async def deals(
    new_database: Any, settings_for: Any, bus: InProcessBus
) -> AsyncIterator[httpx.AsyncClient]:
    """The deals service; requests carry an administrator's identity unless told otherwise."""
    settings = DealsSettings(**settings_for(await new_database("deals")))
    async with running(create_app(settings, bus)) as client:
        client.headers.update(identity_headers())
        yield client


@pytest.fixture
def hire(bus: InProcessBus) -> Callable[[str, UUID | None], Awaitable[Identity]]:
    """A person announced by the gateway, so deals knows their group."""

    async def make(role: str, team: UUID | None) -> Identity:
        who = person(role, team)
        snapshot = UserCreated(
            user_id=UUID(who.user_id),
            email=f"{who.user_id[:8]}@contentum.pl",
            name=f"{role} {who.user_id[:4]}",
            role=role,
            team_id=team,
            department_id=None,
            locale="en",
            time_zone="Europe/Warsaw",
            active=True,
        )
        await bus.publish([as_message(snapshot, who.user_id)])
        return who

    return make


def headers(who: Identity) -> dict[str, str]:
    return identity_headers(who)


async def pipeline(deals: httpx.AsyncClient) -> dict[str, Any]:
    [default] = (await deals.get("/api/pipelines")).json()
    return default  # type: ignore[no-any-return]


def stage(pipeline: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in pipeline["stages"] if s["name"] == name)


async def company(deals: httpx.AsyncClient, name: str = "Kowalski sp. z o.o.") -> str:
    answer = await deals.post("/api/companies", json={"name": name})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])
