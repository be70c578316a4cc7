"""Across services: an activity, a document or a plan line never names a record its author may
not see, in the whole CRM as one process (deals' records reach the others as events)."""

from typing import Any

import httpx
import pytest

from shared.testing.apps import bearer
from shared.testing.waiting import eventually
from tests.gateway.conftest import PASSWORD, Browser

SOON = {"start": "2026-12-14T09:00:00+01:00", "end": "2026-12-14T09:30:00+01:00"}


@pytest.fixture(scope="module")
async def tokens(crm: httpx.AsyncClient, people: dict[str, Browser]) -> dict[str, dict[str, str]]:
    """Bearer headers of the people of `people` (anna and piotr of one group, ewa of another)."""
    return {who: await bearer(crm, f"{who}@contentum.pl", PASSWORD) for who in ("anna", "piotr")}


async def once_known(crm: httpx.AsyncClient, who: dict[str, str], body: dict[str, Any]) -> Any:
    """Plan the activity as soon as the calendar has heard of what it names (events in process)."""

    async def planned() -> httpx.Response | None:
        answer = await crm.post("/api/activities", json=body, headers=who)
        return answer if answer.status_code == 201 else None

    return await eventually(planned, timeout=10, interval=0.05)


async def test_a_manager_cannot_report_on_a_colleagues_deal_through_the_calendar_or_a_document(
    crm: httpx.AsyncClient, tokens: dict[str, dict[str, str]]
) -> None:
    anna, piotr = tokens["anna"], tokens["piotr"]
    company = (await crm.post("/api/companies", json={"name": "Huta Piotra"}, headers=piotr)).json()
    deal = (
        await crm.post(
            "/api/deals", json={"title": "Walcownia", "company_id": company["id"]}, headers=piotr
        )
    ).json()
    call = {"kind": "call", "title": "Telefon", **SOON}
    await once_known(crm, piotr, {**call, "deal_id": deal["id"]})  # the calendar knows the deal

    activity = await crm.post("/api/activities", json={**call, "deal_id": deal["id"]}, headers=anna)
    document = await crm.post(
        "/api/documents",
        files={"file": ("oferta.txt", b"Oferta na walcownie")},
        data={"deal_id": deal["id"]},
        headers=anna,
    )
    for refused in (activity, document):
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["loc"][-1] == "deal_id"
    own_company = await crm.post(
        "/api/activities", json={**call, "company_id": company["id"]}, headers=anna
    )
    assert own_company.status_code == 201  # every salesperson reads customers by default
    timeline = (await crm.get(f"/api/deals/{deal['id']}/timeline", headers=piotr)).json()
    assert [entry["kind"] for entry in timeline if entry["kind"] == "outcome"] == []
