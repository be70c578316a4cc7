"""What deals names on its first start speaks the first administrator's language, and is renamed."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from services.deals.app import create_app
from services.deals.settings import DealsSettings
from shared.bus import InProcessBus
from shared.testing.apps import identity_headers, running
from shared.testing.people import person

Started = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def deals_in(new_database: Any, settings_for: Any, bus: InProcessBus) -> Started:
    """A fresh deals service whose first administrator speaks the given language."""

    @asynccontextmanager
    async def start(locale: str) -> AsyncIterator[httpx.AsyncClient]:
        settings = DealsSettings(
            **settings_for(await new_database(f"deals_{locale}")), admin_locale=locale
        )
        async with running(create_app(settings, bus)) as client:
            client.headers.update(identity_headers())
            yield client

    return start


async def seeded(deals: httpx.AsyncClient) -> tuple[str, list[str], list[str]]:
    [pipeline] = (await deals.get("/api/pipelines")).json()
    reasons = (await deals.get("/api/pipelines/lost-reasons")).json()
    stages = [stage["name"] for stage in pipeline["stages"]]
    return pipeline["name"], stages, sorted(reason["name"] for reason in reasons)


async def test_a_polish_administrators_crm_starts_with_polish_stages_and_reasons(
    deals_in: Started,
) -> None:
    async with deals_in("pl") as deals:
        pipeline, stages, reasons = await seeded(deals)

    assert pipeline == "Sprzedaż"
    assert stages == [
        "Kwalifikacja",
        "Analiza potrzeb",
        "Oferta handlowa wysłana",
        "Negocjacje",
        "Wygrana",
        "Przegrana",
    ]
    assert reasons == ["Brak budżetu", "Brak decyzji", "Cena", "Inny powód", "Konkurencja"]


async def test_an_english_administrators_crm_starts_in_english(deals_in: Started) -> None:
    async with deals_in("en") as deals:
        pipeline, stages, reasons = await seeded(deals)

    assert pipeline == "Sales"
    assert stages[0] == "Qualification" and stages[-2:] == ["Won", "Lost"]
    assert reasons == ["Competitor", "No budget", "No decision", "Other", "Price"]


async def test_the_pipeline_and_lost_reasons_are_renamed_and_retired_by_the_administrator(
    deals_in: Started,
) -> None:
    async with deals_in("pl") as deals:
        [pipeline] = (await deals.get("/api/pipelines")).json()
        reasons = {r["name"]: r for r in (await deals.get("/api/pipelines/lost-reasons")).json()}
        price, other = reasons["Cena"]["id"], reasons["Inny powód"]["id"]
        manager = identity_headers(person("manager"))

        renamed = await deals.patch(f"/api/pipelines/{pipeline['id']}", json={"name": "Hurt"})
        reason = await deals.patch(
            f"/api/pipelines/lost-reasons/{price}", json={"name": "Za wysoka cena"}
        )
        clash = await deals.patch(
            f"/api/pipelines/lost-reasons/{other}", json={"name": "BRAK BUDŻETU"}
        )
        retired = await deals.patch(f"/api/pipelines/lost-reasons/{other}", json={"active": False})
        refused = await deals.patch(
            f"/api/pipelines/{pipeline['id']}", json={"name": "Moje"}, headers=manager
        )
        missing = await deals.patch(
            "/api/pipelines/lost-reasons/00000000-0000-0000-0000-000000000000", json={"name": "X"}
        )
        _, _, names = await seeded(deals)
        [kept] = (await deals.get("/api/pipelines")).json()

    assert renamed.status_code == 200 and renamed.json()["name"] == "Hurt"
    assert len(renamed.json()["stages"]) == 6
    assert reason.status_code == 200 and reason.json()["name"] == "Za wysoka cena"
    assert clash.status_code == 409 and clash.json()["detail"][0]["loc"] == ["body", "name"]
    assert retired.status_code == 200 and retired.json()["active"] is False
    assert refused.status_code == 403 and missing.status_code == 404
    assert kept["name"] == "Hurt"
    assert "Za wysoka cena" in names and "Cena" not in names
