"""A stage gated by "credit check delivered with decision = approved" refuses the move until the
department delivers it, over real Kafka, with knowledge, deals and the gateway each its own
`crm serve` process."""

from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, TEST_SECRET, bearer
from shared.testing.kafka import KafkaBroker
from shared.testing.processes import crm_process, free_port
from shared.testing.waiting import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
PASSWORD = "a long enough password"
CREDIT_CHECK = {
    "name": "Weryfikacja kredytowa klienta",
    "sla_hours": 8,
    "inputs": [{"key": "purpose", "label": "Cel", "type": "text", "required": True}],
    "outputs": [
        {
            "key": "decision",
            "label": "Decyzja",
            "type": "select",
            "required": True,
            "options": ["approved", "rejected"],
        }
    ],
}


async def _until(call: Any, wanted: int) -> httpx.Response:
    """Ask again until the answer has the wanted status (the services learn by events)."""

    async def answered() -> httpx.Response | None:
        answer: httpx.Response = await call()
        return answer if answer.status_code == wanted else None

    found: httpx.Response = await eventually(answered, timeout=45, interval=0.3)  # type: ignore[arg-type]
    return found


async def test_a_stage_gated_by_an_approved_credit_check_opens_once_it_is_delivered(
    kafka: KafkaBroker, new_database: Any, tmp_path: Path
) -> None:
    ports = {name: free_port() for name in ("deals", "knowledge", "gateway")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "CRM_IDENTITY_SECRET": TEST_SECRET,
        "DEALS_DATABASE_URL": await new_database("deals"),
        "KNOWLEDGE_DATABASE_URL": await new_database("knowledge"),
        "GATEWAY_DATABASE_URL": await new_database("gateway"),
        "GATEWAY_DEALS_URL": urls["deals"],
        "GATEWAY_KNOWLEDGE_URL": urls["knowledge"],
        "CRM_ADMIN_EMAIL": ADMIN_EMAIL,
        "CRM_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "CRM_ADMIN_LOCALE": "en",
    }

    def serve(name: str) -> Any:
        args = ["serve", name, "--host", "127.0.0.1", "--port", str(ports[name])]
        return crm_process(args, env=env, log=tmp_path / f"{name}.log", url=urls[name])

    with serve("deals"), serve("knowledge"), serve("gateway"):
        async with (
            httpx.AsyncClient(base_url=urls["gateway"], timeout=30) as admin,
            httpx.AsyncClient(base_url=urls["gateway"], timeout=30) as clerk,
        ):
            admin.headers.update(await bearer(admin, ADMIN_EMAIL, ADMIN_PASSWORD))
            finance = (await admin.post("/api/departments", json={"name": "Finanse"})).json()
            body = {
                "email": "finanse@contentum.pl",
                "name": "Księgowa",
                "password": PASSWORD,
                "role": "staff",
                "department_id": finance["id"],
            }
            assert (await admin.post("/api/users", json=body)).status_code == 201
            clerk.headers.update(await bearer(clerk, body["email"], PASSWORD))

            service_body = {**CREDIT_CHECK, "department_id": finance["id"]}
            service = await _until(lambda: admin.post("/api/services", json=service_body), 201)
            [pipeline] = (await admin.get("/api/pipelines")).json()
            negotiation = next(s for s in pipeline["stages"] if s["name"] == "Negotiation")
            gate = {
                "services": [
                    {"service_id": service.json()["id"], "output": "decision", "value": "approved"}
                ]
            }
            path = f"/api/pipelines/{pipeline['id']}/stages/{negotiation['id']}/requirements"
            await _until(lambda: admin.put(path, json=gate), 200)

            company = (await admin.post("/api/companies", json={"name": "Huta Łabędy"})).json()
            deal_body = {"title": "Dostawa stali", "company_id": company["id"], "amount": "1000"}
            deal = (await admin.post("/api/deals", json=deal_body)).json()
            raise_it = {
                "service_id": service.json()["id"],
                "deal_id": deal["id"],
                "inputs": {"purpose": "oferta"},
            }
            request = (await _until(lambda: admin.post("/api/requests", json=raise_it), 201)).json()
            move = {"stage_id": negotiation["id"]}
            refused = await admin.patch(f"/api/deals/{deal['id']}", json=move)

            steps = f"/api/requests/{request['id']}"
            assert (await clerk.post(f"{steps}/accept")).status_code == 200
            delivered = await clerk.post(
                f"{steps}/deliver", json={"outputs": {"decision": "approved"}}
            )

            async def ready() -> bool:
                answer = await admin.get(f"/api/deals/{deal['id']}/requirements", params=move)
                return bool(answer.json()["ready"])

            await eventually(ready, timeout=45, interval=0.3)
            moved = await admin.patch(f"/api/deals/{deal['id']}", json=move)
            timeline = (await admin.get(f"/api/deals/{deal['id']}/timeline")).json()

    assert [p["type"] for p in refused.json()["detail"]] == ["service_required"]
    assert delivered.json()["status"] == "delivered"
    assert moved.status_code == 200, moved.text
    [entry] = [e for e in timeline if e["kind"] == "request_delivered"]
    assert entry["data"]["outputs"] == [{"label": "Decyzja", "type": "select", "value": "approved"}]
