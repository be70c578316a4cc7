"""`/api/companies` on the deals service, over HTTP, on a real PostgreSQL."""

from typing import Any

import httpx
import pytest
from sqlalchemy import text

from shared.bus import InProcessBus
from shared.testing.apps import identity_headers
from shared.testing.waiting import eventually


async def test_a_company_is_created_with_a_normalised_nip(deals: httpx.AsyncClient) -> None:
    answer = await deals.post(
        "/api/companies",
        json={"name": "Kowalski i Synowie", "tax_id": "526-025-02-74", "address": {"city": "Łódź"}},
    )

    assert answer.status_code == 201, answer.text
    company = answer.json()
    assert company["tax_id"] == "5260250274"
    assert company["address"] == {
        "street": None,
        "postal_code": None,
        "city": "Łódź",
        "country": "PL",
    }


async def test_creating_a_company_emits_company_created(
    deals: httpx.AsyncClient, bus: InProcessBus
) -> None:
    answer = await deals.post("/api/companies", json={"name": "Nowak"})
    sessions = deals._transport.app.state.sessions  # type: ignore[attr-defined]

    async def relayed() -> Any:
        query = "SELECT type, key, envelope FROM outbox WHERE sent_at IS NOT NULL"
        async with sessions() as session:
            return (await session.execute(text(query))).one_or_none()

    row = await eventually(relayed)
    assert row.type == "crm.company.created.v1"
    assert row.key == answer.json()["id"]
    assert row.envelope["data"]["name"] == "Nowak"


async def test_an_invalid_nip_is_refused_naming_tax_id(deals: httpx.AsyncClient) -> None:
    answer = await deals.post("/api/companies", json={"name": "X", "tax_id": "1234567890"})

    assert answer.status_code == 422
    [error] = answer.json()["detail"]
    assert error["loc"] == ["body", "tax_id"]
    assert "checksum" in error["msg"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "A", "address": {"country": "Poland"}}, "country"),
        ({"name": "A", "colour": "red"}, "colour"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(
    deals: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    answer = await deals.post("/api/companies", json=body)

    assert answer.status_code == 422
    assert field in answer.json()["detail"][0]["loc"]


async def test_a_second_company_with_the_same_nip_is_a_conflict(deals: httpx.AsyncClient) -> None:
    await deals.post("/api/companies", json={"name": "First", "tax_id": "5260250274"})

    answer = await deals.post("/api/companies", json={"name": "Second", "tax_id": "526-025-02-74"})

    assert answer.status_code == 409
    assert answer.json()["detail"][0]["loc"] == ["body", "tax_id"]


async def test_a_duplicate_nip_names_the_company_that_has_it(deals: httpx.AsyncClient) -> None:
    first = await deals.post("/api/companies", json={"name": "First", "tax_id": "5260250274"})
    other = (await deals.post("/api/companies", json={"name": "Other"})).json()

    created = await deals.post("/api/companies", json={"name": "Second", "tax_id": "5260250274"})
    changed = await deals.patch(f"/api/companies/{other['id']}", json={"tax_id": "5260250274"})

    expected = {"company_id": first.json()["id"], "name": "First"}
    assert created.status_code == changed.status_code == 409
    assert created.json()["detail"][0]["ctx"] == changed.json()["detail"][0]["ctx"] == expected


async def test_a_nip_is_checked_as_typed_for_its_checksum_and_its_holder(
    deals: httpx.AsyncClient,
) -> None:
    holder = await deals.post("/api/companies", json={"name": "Huta", "tax_id": "5260250274"})

    taken = await deals.get("/api/companies/nip-check", params={"tax_id": "526-025-02-74"})
    free = await deals.get("/api/companies/nip-check", params={"tax_id": "PL 1234563218"})
    wrong = await deals.get("/api/companies/nip-check", params={"tax_id": "1234567890"})
    short = await deals.get("/api/companies/nip-check", params={"tax_id": "123"})

    assert taken.json()["company"]["id"] == holder.json()["id"]
    assert (free.json()["tax_id"], free.json()["problem"], free.json()["company"]) == (
        "1234563218",
        None,
        None,
    )
    assert wrong.json()["tax_id"] is None and "checksum" in wrong.json()["problem"]
    assert "10 digits" in short.json()["problem"]


async def test_companies_are_found_by_name_without_diacritics_or_by_nip(
    deals: httpx.AsyncClient,
) -> None:
    for name, nip in (("Łódzka Żegluga", None), ("Zakład Ślusarski", "5260250274"), ("Inna", None)):
        await deals.post("/api/companies", json={"name": name, "tax_id": nip})

    async def found(q: str) -> list[str]:
        page = (await deals.get("/api/companies", params={"q": q})).json()
        return [company["name"] for company in page["items"]]

    assert await found("lodzka zegl") == ["Łódzka Żegluga"]
    assert await found("ŚLUSAR") == ["Zakład Ślusarski"]
    assert await found("526-025-02") == ["Zakład Ślusarski"]
    assert await found("100%") == []


async def test_companies_are_listed_by_name_in_pages(deals: httpx.AsyncClient) -> None:
    for name in ["Delta", "Alfa", "Charlie", "Bravo", "Echo"]:
        await deals.post("/api/companies", json={"name": name})

    names, cursor = [], None
    while True:
        page = (
            await deals.get(
                "/api/companies", params={"limit": 2, **({"cursor": cursor} if cursor else {})}
            )
        ).json()
        names += [c["name"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert names == ["Alfa", "Bravo", "Charlie", "Delta", "Echo"]


async def test_a_forged_cursor_is_a_422(deals: httpx.AsyncClient) -> None:
    answer = await deals.get("/api/companies", params={"cursor": "bm90LWEtY3Vyc29y"})

    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", "cursor"]


async def test_a_call_without_an_identity_token_is_401(deals: httpx.AsyncClient) -> None:
    for headers in ({"X-CRM-Identity": ""}, {"X-CRM-Identity": "forged.token.value"}):
        answer = await deals.get("/api/companies", headers=headers)
        assert answer.status_code == 401


async def test_a_token_signed_with_another_secret_is_401(deals: httpx.AsyncClient) -> None:
    forged = identity_headers(secret="some-other-secret-0123456789-abcdef")

    assert (
        await deals.post("/api/companies", json={"name": "X"}, headers=forged)
    ).status_code == 401


async def test_operations_endpoints_answer(deals: httpx.AsyncClient) -> None:
    assert (await deals.get("/healthz")).json() == {"status": "ok", "bus": "ok"}
    assert (await deals.get("/readyz")).json() == {"database": "ok"}
    assert "crm_http_request_seconds" in (await deals.get("/metrics")).text
    assert (await deals.get("/docs")).status_code == 200
    assert "/api/companies" in (await deals.get("/openapi.json")).json()["paths"]


async def test_a_company_is_updated_and_announced(deals: httpx.AsyncClient) -> None:
    created = (await deals.post("/api/companies", json={"name": "Stara Nazwa"})).json()

    changed = await deals.patch(
        f"/api/companies/{created['id']}",
        json={"name": "Nowa Nazwa", "address": {"city": "Kraków"}},
    )
    bad = await deals.patch(f"/api/companies/{created['id']}", json={"tax_id": "123"})

    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["address"]["city"]) == ("Nowa Nazwa", "Kraków")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "tax_id"]
    sessions = deals._transport.app.state.sessions  # type: ignore[attr-defined]
    async with sessions() as session:
        types = (await session.scalars(text("SELECT type FROM outbox ORDER BY id"))).all()
    assert types == ["crm.company.created.v1", "crm.company.updated.v1"]
