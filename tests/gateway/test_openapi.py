"""The gateway's OpenAPI document describes the whole public API: its own operations and every
one it routes to a service, how to call them and what each may answer."""

from typing import Any

import httpx
import pytest

from services.gateway.domain.openapi import operations, routed_paths


@pytest.fixture(scope="module")
async def document(crm: httpx.AsyncClient) -> dict[str, Any]:
    answer = await crm.get("/openapi.json")
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def service_documents(crm: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    apps = crm._transport.app.state.embedded_apps  # type: ignore[attr-defined]
    return {name: app.openapi() for name, app in apps.items()}


async def test_every_operation_the_gateway_routes_is_described(
    crm: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    described = {(method, path) for method, path, _ in operations(document)}

    for service, own in service_documents(crm).items():
        routed = {
            (method, path) for method, path, _ in operations({"paths": routed_paths(own, service)})
        }
        assert routed, service
        assert routed <= described, f"{service}: {sorted(routed - described)}"
    assert ("patch", "/api/deals/{deal_id}") in described
    assert ("post", "/api/auth/token") in described


async def test_only_the_public_api_and_the_gateway_s_operations_are_described(
    document: dict[str, Any],
) -> None:
    outside = {path for path in document["paths"] if not path.startswith("/api/")}

    assert outside == {"/healthz", "/readyz", "/metrics"}


async def test_operations_ask_for_a_bearer_token_but_signing_in_does_not(
    document: dict[str, Any],
) -> None:
    schemes = document["components"]["securitySchemes"]
    by_key = {(method, path): operation for method, path, operation in operations(document)}

    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert by_key[("get", "/api/companies")]["security"] == [{"bearer": []}]
    assert by_key[("post", "/api/auth/token")]["security"] == []
    assert by_key[("get", "/api/calendar/feeds/{token}.ics")]["security"] == []


async def test_each_operation_lists_the_answers_it_may_give(document: dict[str, Any]) -> None:
    by_key = {(method, path): operation for method, path, operation in operations(document)}

    change_a_deal = by_key[("patch", "/api/deals/{deal_id}")]["responses"]
    sign_in = by_key[("post", "/api/auth/token")]["responses"]

    assert {"200", "401", "403", "404", "409", "422", "503"} <= set(change_a_deal)
    assert {"200", "401", "422", "429"} <= set(sign_in)
    problem = change_a_deal["404"]["content"]["application/json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/Problem"}


async def test_metrics_are_described_as_plain_text(document: dict[str, Any]) -> None:
    answer = document["paths"]["/metrics"]["get"]["responses"]["200"]

    assert list(answer["content"]) == ["text/plain"]


async def test_schemas_of_the_services_are_all_there(document: dict[str, Any]) -> None:
    text = str(document)
    schemas = document["components"]["schemas"]

    missing = {
        ref.split("'")[0]
        for ref in text.split("#/components/schemas/")[1:]
        if ref.split("'")[0] not in schemas
    }
    assert missing == set()
    assert {"DealPublic", "ActivityPublic", "LinePublic", "DocumentPublic"} <= set(schemas)


async def test_the_explorer_page_reads_the_whole_document(crm: httpx.AsyncClient) -> None:
    page = await crm.get("/docs")

    assert page.status_code == 200
    assert "/openapi.json" in page.text


async def test_without_its_services_the_document_names_the_missing(
    gateway: httpx.AsyncClient,
) -> None:
    answer = await gateway.get("/openapi.json")

    assert answer.status_code == 200
    assert "/api/deals/{deal_id}" not in answer.json()["paths"]
    assert "deals (no address configured)" in answer.json()["info"]["description"]


async def test_the_event_stream_is_described_at_a_public_address(crm: httpx.AsyncClient) -> None:
    answer = await crm.get("/api/events/asyncapi.json", headers={"Authorization": ""})

    assert answer.status_code == 200
    document = answer.json()
    assert document["asyncapi"] == "3.0.0"
    assert document["channels"]["crm_deals_company"]["address"] == "crm.deals.company"
