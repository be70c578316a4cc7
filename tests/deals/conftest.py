"""A deals service on its own database, people replicated into it through the in-process bus."""

import csv
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import text

from services.deals.app import create_app
from services.deals.settings import DealsSettings
from shared.auth import Identity
from shared.bus import InProcessBus
from shared.testing.apps import identity_headers, running
from shared.testing.people import person, user_created

NORTH, SOUTH = uuid4(), uuid4()


@pytest.fixture(autouse=True)
def english_first_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests name the default pipeline's stages and lost reasons as an English-speaking
    administrator's CRM does on its first start (a Polish one names them in Polish)."""
    monkeypatch.setenv("CRM_ADMIN_LOCALE", "en")


@pytest.fixture
async def deals(
    service_database: Any, settings_for: Any, bus: InProcessBus
) -> AsyncIterator[httpx.AsyncClient]:
    """The deals service; requests carry an administrator's identity unless told otherwise."""
    settings = DealsSettings(**settings_for(await service_database("deals")))
    async with running(create_app(settings, bus)) as client:
        client.headers.update(identity_headers())
        yield client


@pytest.fixture
def hire(bus: InProcessBus) -> Callable[[str, UUID | None], Awaitable[Identity]]:
    """A person announced by the gateway, so deals knows their group."""

    async def make(role: str, team: UUID | None) -> Identity:
        who = person(role, team)
        await bus.publish([user_created(who, team)])
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


# --- CSV imports ------------------------------------------------------------------------------

NIP = "5260250274"  # a valid NIP
OTHER_NIP = "7740001454"


async def upload(
    client: httpx.AsyncClient,
    content: str | bytes,
    record_type: str = "deal",
    *,
    mapping: dict[str, str] | None = None,
    wait: bool = True,
    who: dict[str, str] | None = None,
    name: str = "import.csv",
) -> httpx.Response:
    data = content.encode() if isinstance(content, str) else content
    form = {"record_type": record_type, **({"mapping": json.dumps(mapping)} if mapping else {})}
    return await client.post(
        "/api/imports",
        data=form,
        files={"file": (name, data, "text/csv")},
        params={"wait": "true"} if wait else {},
        headers=who,
    )


async def finished(client: httpx.AsyncClient, answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 201, answer.text
    job: dict[str, Any] = answer.json()
    assert job["status"] == "done", job
    return job


async def rejected_rows(
    client: httpx.AsyncClient, job_id: str, who: dict[str, str] | None = None
) -> list[dict[str, str]]:
    answer = await client.get(f"/api/imports/{job_id}/rejected.csv", headers=who)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    body = answer.content.decode("utf-8-sig")
    delimiter = ";" if body.split("\n", 1)[0].count(";") else ","
    return list(csv.DictReader(io.StringIO(body), delimiter=delimiter))


async def sql(client: httpx.AsyncClient, query: str, **values: Any) -> list[Any]:
    """Rows of a query on the service's own database."""
    sessions = client._transport.app.state.sessions  # type: ignore[attr-defined]
    async with sessions() as session:
        return list((await session.execute(text(query), values)).all())


async def count(client: httpx.AsyncClient, table: str) -> int:
    [(n,)] = await sql(client, f"SELECT count(*) FROM {table}")
    return int(n)


async def new_company(client: httpx.AsyncClient, name: str, tax_id: str | None = None) -> str:
    answer = await client.post("/api/companies", json={"name": name, "tax_id": tax_id})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])
