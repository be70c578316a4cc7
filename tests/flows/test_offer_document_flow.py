"""An offer uploaded from the deal page reaches deals over real Kafka and opens the offer stage,
with knowledge, deals and the gateway each its own `crm serve` process."""

from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, TEST_SECRET, bearer
from shared.testing.kafka import KafkaBroker
from shared.testing.processes import crm_process, free_port
from shared.testing.waiting import eventually
from tests.gateway.test_web import browser_sign_in
from tests.knowledge.files import pdf

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def test_an_offer_uploaded_from_the_deal_page_satisfies_the_offer_stage(
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
            httpx.AsyncClient(base_url=urls["gateway"], timeout=30) as api,
            httpx.AsyncClient(base_url=urls["gateway"], timeout=30) as browser,
        ):
            api.headers.update(await bearer(api, ADMIN_EMAIL, ADMIN_PASSWORD))
            [default] = (await api.get("/api/pipelines")).json()
            offer_sent = next(s for s in default["stages"] if s["name"] == "Commercial offer sent")
            assert offer_sent["document"] is True
            client = (await api.post("/api/companies", json={"name": "Huta Łabędy"})).json()
            body = {"title": "Dostawa stali", "company_id": client["id"], "amount": "250000"}
            deal = (await api.post("/api/deals", json=body)).json()
            move = {"stage_id": offer_sent["id"]}
            refused = await api.patch(f"/api/deals/{deal['id']}", json=move)
            assert [p["type"] for p in refused.json()["detail"]] == ["document_required"]

            token = await browser_sign_in(browser, ADMIN_EMAIL, ADMIN_PASSWORD)
            deal_page = await browser.get(f"/deals/{deal['id']}")
            assert 'data-upload="/knowledge/upload?back=' in deal_page.text
            uploaded = await browser.post(
                "/knowledge/upload",
                params={"back": f"/deals/{deal['id']}"},
                files={"file": ("Oferta Huta Łabędy.pdf", pdf(["Oferta handlowa: stal"]))},
                data={"deal_id": deal["id"]},
                headers={"X-CSRF-Token": token},
            )
            assert uploaded.json() == {"location": f"/deals/{deal['id']}"}, uploaded.text

            async def attached() -> bool:
                answer = await api.get(f"/api/deals/{deal['id']}/requirements", params=move)
                return bool(answer.json()["ready"])

            await eventually(attached, timeout=30, interval=0.2)
            moved = await api.patch(f"/api/deals/{deal['id']}", json=move)
            listed = await browser.get(f"/knowledge/deals/{deal['id']}/documents")

    assert moved.status_code == 200, moved.text
    assert "Oferta Huta Łabędy" in listed.text
