"""A person leaves: the administrator gives their open deals and customers on from their page,
with the whole CRM in process."""

from datetime import UTC, datetime, timedelta

import httpx

from tests.gateway.conftest import (
    PASSWORD,
    Browser,
    browser_sign_in,
    new_company,
    pipeline,
    quick_add,
    stage,
)


async def test_the_administrator_hands_a_leavers_work_to_a_colleague_from_their_page(
    crm: httpx.AsyncClient, api: dict[str, str], people: dict[str, Browser]
) -> None:
    admin, piotr, ewa = people["admin"], people["piotr"], people["ewa"]
    listed = (await crm.get("/api/users", headers=api)).json()["items"]
    users = {u["name"]: u for u in listed}
    body = {
        "email": "lena@contentum.pl",
        "name": "Lena Odchodzi",
        "password": PASSWORD,
        "role": "manager",
        "team_id": users["Piotr Kowal"]["team_id"],
        "locale": "en",
    }
    lena_id = (await crm.post("/api/users", json=body, headers=api)).json()["id"]
    app = crm._transport.app  # type: ignore[attr-defined]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as own:
        lena = Browser(own, await browser_sign_in(own, body["email"], PASSWORD))
        firm = await new_company(lena, "Firma Leny")
        first = stage(await pipeline(crm, api), "Qualification")["id"]
        deal_id = await quick_add(lena, first, firm, title="Linia Leny")
    soon = datetime.now(UTC) + timedelta(days=1)
    call = {
        "kind": "call",
        "title": "Telefon Leny",
        "start": soon.isoformat(),
        "end": (soon + timedelta(minutes=15)).isoformat(),
        "owner_id": lena_id,
        "deal_id": deal_id,
    }
    planned = await crm.post("/api/activities", json=call, headers=api)
    assert planned.status_code == 201, planned.text
    gone = await crm.patch(f"/api/users/{lena_id}", json={"active": False}, headers=api)
    assert gone.status_code == 200, gone.text
    path = f"/admin/users/{lena_id}/hand-over"

    page = (await admin.get(f"/admin/users/{lena_id}")).text
    unchosen = await admin.post(path, {"to_owner_id": "", "customers": "on"})
    by_a_manager = await ewa.post(path, {"to_owner_id": users["Piotr Kowal"]["id"]})
    chosen = {"to_owner_id": users["Piotr Kowal"]["id"], "customers": "on", "activities": "on"}
    handed = await admin.post(path, chosen)

    assert "Hand over their work" in page and "Piotr Kowal (Północ)" in page
    assert "Lena Odchodzi</option>" not in page  # not to herself
    assert "Inactive: this person cannot sign in." in page
    assert unchosen.status_code == 422 and "Choose who takes them." in unchosen.text
    assert by_a_manager.status_code == 403
    assert handed.status_code == 200, handed.text
    assert (
        "Handed over to Piotr Kowal (Północ): deals 1, companies 1, contacts 0, activities 1."
        in (handed.text)
    )
    deal = (await crm.get(f"/api/deals/{deal_id}", headers=api)).json()
    deal_page = (await piotr.get(f"/deals/{deal_id}")).text
    assert "Owner</dt><dd>Piotr Kowal" in deal_page
    company = (await crm.get(f"/api/companies/{firm}", headers=api)).json()
    assert deal["owner_id"] == company["owner_id"] == users["Piotr Kowal"]["id"]
    assert "Linia Leny" in (await piotr.get("/deals")).text
    told = (await piotr.get("/api/notifications")).json()["items"]
    assert [n["title"] for n in told if n["kind"] == "hand_over"] == [
        "Lena Odchodzi's work is now yours"
    ]
    activity = (await crm.get(f"/api/activities/{planned.json()['id']}", headers=api)).json()
    assert activity["owner_id"] == users["Piotr Kowal"]["id"]
