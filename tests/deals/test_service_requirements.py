"""A stage may demand a delivered request of a company service, with an output's value perhaps;
deals learns of services and requests from knowledge's events, and a delivered request's
outputs land on the deal's timeline."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx

from shared.bus import InProcessBus
from shared.contracts.knowledge import (
    FormField,
    RequestDelivered,
    RequestSubmitted,
    ServicePublished,
)
from shared.testing.people import as_message
from tests.deals.conftest import company, pipeline, stage

DECISION = FormField(
    key="decision", label="Decyzja", type="select", required=True, options=["approved", "rejected"]
)
LIMIT = FormField(key="limit", label="Limit", type="money")


def credit_check(service_id: UUID) -> ServicePublished:
    return ServicePublished(
        service_id=service_id,
        department_id=uuid4(),
        name="Weryfikacja kredytowa",
        version=1,
        inputs=[],
        outputs=[DECISION, LIMIT],
        sla_hours=8,
        requesters=["everyone"],
        active=True,
        url=f"/services/{service_id}",
    )


def request(service_id: UUID, deal_id: str, request_id: UUID, **fields: Any) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "service_id": service_id,
        "service_name": "Weryfikacja kredytowa",
        "service_version": 1,
        "department_id": uuid4(),
        "requester_id": uuid4(),
        "assignee_id": None,
        "status": "submitted",
        "inputs": {},
        "outputs": {},
        "deal_id": UUID(deal_id),
        "company_id": None,
        "submitted_at": datetime.now(UTC),
        "due_at": None,
        "actor_id": uuid4(),
        "url": f"/requests/{request_id}",
        **fields,
    }


def delivered(service_id: UUID, deal_id: str, decision: str) -> RequestDelivered:
    outputs = {"decision": decision, "limit": "100000"}
    return RequestDelivered(
        **request(service_id, deal_id, uuid4(), status="delivered", outputs=outputs),
        output_fields=[DECISION, LIMIT],
    )


async def test_a_stage_gated_by_an_approved_credit_check_opens_once_one_is_delivered(
    deals: httpx.AsyncClient, bus: InProcessBus
) -> None:
    default = await pipeline(deals)
    negotiation = stage(default, "Negotiation")
    service = uuid4()
    path = f"/api/pipelines/{default['id']}/stages/{negotiation['id']}/requirements"
    needed = {"services": [{"service_id": str(service), "output": "decision", "value": "approved"}]}

    unknown = await deals.put(path, json=needed)
    await bus.publish([as_message(credit_check(service), service)])
    wrong_value = await deals.put(
        path, json={"services": [{"service_id": str(service), "output": "decision", "value": "?"}]}
    )
    gated = await deals.put(path, json=needed)
    body = {"title": "Dostawa stali", "company_id": await company(deals), "amount": "1000"}
    deal = (await deals.post("/api/deals", json=body)).json()
    move = {"stage_id": negotiation["id"]}

    submitted = RequestSubmitted(**request(service, deal["id"], uuid4()))
    await bus.publish([as_message(submitted, submitted.request_id)])
    refused = await deals.patch(f"/api/deals/{deal['id']}", json=move)
    rejected = delivered(service, deal["id"], "rejected")
    await bus.publish([as_message(rejected, rejected.request_id)])
    still = await deals.get(f"/api/deals/{deal['id']}/requirements", params=move)
    approved = delivered(service, deal["id"], "approved")
    await bus.publish([as_message(approved, approved.request_id)] * 2)  # redelivered
    moved = await deals.patch(f"/api/deals/{deal['id']}", json=move)
    timeline = (await deals.get(f"/api/deals/{deal['id']}/timeline")).json()

    assert unknown.status_code == 422
    assert [p["loc"][-1] for p in unknown.json()["detail"]] == ["services.0.service_id"]
    assert wrong_value.status_code == 422
    assert gated.json()["service_requirements"] == needed["services"]
    assert refused.status_code == 422
    assert [p["msg"] for p in refused.json()["detail"]] == [
        "Weryfikacja kredytowa must be delivered for this deal with Decyzja = approved first"
    ]
    assert still.json()["ready"] is False
    assert moved.status_code == 200, moved.text
    outputs = [e["data"] for e in timeline if e["kind"] == "request_delivered"]
    assert len(outputs) == 2
    assert outputs[0]["outputs"] == [
        {"label": "Decyzja", "type": "select", "value": "approved"},
        {"label": "Limit", "type": "money", "value": "100000"},
    ]
    assert outputs[0]["url"] == f"/requests/{approved.request_id}"
