"""Deals in the pages, over HTTP with the whole CRM in process: quick add, the edit page,
archiving, the board's cards and manager filter, and the move dialog that completes at once."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from shared.testing.waiting import eventually
from tests.gateway.conftest import (
    HTMX,
    Browser,
    new_company,
    pipeline,
    quick_add,
    redirected_to,
    stage,
)
from tests.knowledge.files import pdf

# --- deals -------------------------------------------------------------------------------------


async def test_quick_add_in_a_gated_column_asks_for_what_the_stage_needs(
    crm: httpx.AsyncClient, api: dict[str, str], people: dict[str, Browser]
) -> None:
    anna = people["anna"]
    found = await pipeline(crm, api)
    offer = stage(found, "Commercial offer sent")
    await crm.put(
        f"/api/pipelines/{found['id']}/stages/{offer['id']}/requirements",
        json={"fields": ["amount", "expected_close_date"], "document": True},
        headers=api,
    )
    company = await new_company(anna, "Szybka sp. z o.o.")

    form = await anna.get(f"/deals/new?stage_id={offer['id']}&back=board", headers=HTMX)
    lacking = await anna.post(
        "/deals",
        {"stage_id": offer["id"], "company_id": company, "title": "Oferta", "back": "board"},
    )
    deal_id = await quick_add(
        anna,
        offer["id"],
        company,
        title="Oferta na linię",
        amount="125000",
        expected_close_date="2099-06-30",
        document_url="https://docs.example.pl/oferta.pdf",
    )

    assert re.search(r'name="amount"[^>]*required', form.text)
    assert 'name="document_url"' in form.text
    assert lacking.status_code == 422
    assert lacking.text.count("fill in this field before entering the stage") == 2
    assert "link a document to this deal" in lacking.text
    assert 'value="Oferta"' in lacking.text
    deal = (await crm.get(f"/api/deals/{deal_id}", headers=api)).json()
    assert (deal["stage_id"], deal["amount"]) == (offer["id"], "125000.00")


async def test_quick_add_offers_the_chosen_companys_contacts_in_any_stage(
    crm: httpx.AsyncClient, api: dict[str, str], people: dict[str, Browser]
) -> None:
    anna = people["anna"]
    company = await new_company(anna, "Kontaktowa sp. z o.o.")
    redirected_to(await anna.post("/contacts", {"name": "Wiktor Zakupowy", "company_id": company}))
    [contact] = re.findall(
        r'href="/contacts/([0-9a-f-]+)">Wiktor', (await anna.get(f"/companies/{company}")).text
    )
    first = stage(await pipeline(crm, api), "Qualification")
    assert "contact_ids" not in first["required_fields"]

    empty = await anna.get(f"/deals/new?stage_id={first['id']}", headers=HTMX)
    chosen = await anna.get(f"/deals/new?stage_id={first['id']}&company_id={company}", headers=HTMX)
    deal_id = await quick_add(anna, first["id"], company, title="Z kontaktem", contact_ids=contact)

    found = await anna.get("/companies/options", params={"q": "Kontaktowa"})

    assert "Choose the company to see its contacts." in empty.text
    assert 'hx-get="/contacts/options"' in empty.text
    # nothing is chosen for the person: choosing (a search's one result too) loads the contacts
    assert '<option value="" disabled selected>' in empty.text
    assert found.text.startswith('<option value="" disabled selected>')
    assert f'name="contact_ids" value="{contact}"' in chosen.text
    deal = (await crm.get(f"/api/deals/{deal_id}", headers=api)).json()
    assert deal["contact_ids"] == [contact]


async def test_the_edit_page_changes_every_field_and_refuses_bad_ones_next_to_them(
    crm: httpx.AsyncClient, api: dict[str, str], people: dict[str, Browser]
) -> None:
    anna = people["anna"]
    for key, kind, options in (
        ("budget_ok", "boolean", []),
        ("segment", "select", ["SMB", "Enterprise"]),
    ):
        body = {"record_type": "deal", "key": key, "label": key, "type": kind, "options": options}
        added = await crm.post("/api/fields", json=body, headers=api)
        assert added.status_code == 201, added.text
    company = await new_company(anna, "Edytowana S.A.")
    redirected_to(await anna.post("/contacts", {"name": "Olga Decydent", "company_id": company}))
    [contact] = re.findall(
        r'href="/contacts/([0-9a-f-]+)">Olga', (await anna.get(f"/companies/{company}")).text
    )
    first = stage(await pipeline(crm, api), "Qualification")
    deal_id = await quick_add(anna, first["id"], company, title="Do edycji")
    edit = f"/deals/{deal_id}"

    form = await anna.get(f"{edit}/edit")
    bad = await anna.post(
        edit,
        {
            "title": "",
            "company_id": company,
            "amount": "-5",
            "currency": "PLN",
            "probability": "150",
        },
    )
    saved = await anna.post(
        edit,
        {
            "title": "Po edycji",
            "company_id": company,
            "contact_ids": contact,
            "amount": "999.50",
            "currency": "EUR",
            "expected_close_date": "2099-01-31",
            "probability": "40",
            "source": "Targi",
            "custom.budget_ok": "true",
            "custom.segment": "Enterprise",
        },
    )

    assert 'name="custom.budget_ok"' in form.text, re.findall(r"custom[^>]*>", form.text)
    assert "<option>Enterprise</option>" in form.text
    assert 'name="owner_id"' not in form.text  # a manager does not hand deals over
    assert bad.status_code == 422
    assert all(re.search(rf'class="invalid">{label}', bad.text) for label in ("Title", "Amount"))
    assert redirected_to(saved) == edit
    deal = (await crm.get(f"/api/deals/{deal_id}", headers=api)).json()
    assert (deal["title"], deal["amount"], deal["currency"], deal["probability"]) == (
        "Po edycji",
        "999.50",
        "EUR",
        40,
    )
    assert deal["contact_ids"] == [contact] and deal["custom"] == {
        "budget_ok": True,
        "segment": "Enterprise",
    }
    linked = await anna.post(f"{edit}/documents", {"title": "Umowa", "url": "javascript:alert(1)"})
    assert linked.status_code == 422 and "javascript" in linked.text  # refused, shown escaped
    linked = await anna.post(f"{edit}/documents", {"title": "Umowa", "url": "https://x.pl/u.pdf"})
    assert linked.status_code == 200 and 'href="https://x.pl/u.pdf"' in linked.text


async def test_a_manager_cannot_open_change_or_archive_another_managers_deal(
    crm: httpx.AsyncClient, api: dict[str, str], people: dict[str, Browser]
) -> None:
    anna, piotr = people["anna"], people["piotr"]
    company = await new_company(anna, "Cudza sp. z o.o.")
    lead = stage(await pipeline(crm, api), "Qualification")
    deal_id = await quick_add(anna, lead["id"], company, title="Nie dla Piotra")

    opened = await piotr.get(f"/deals/{deal_id}/edit")
    changed = await piotr.post(f"/deals/{deal_id}", {"title": "Moje", "company_id": company})
    archived = await piotr.post(f"/deals/{deal_id}/archive")
    moved = await piotr.post(f"/deals/{deal_id}/move", {"stage_id": lead["id"]})

    assert (opened.status_code, changed.status_code, archived.status_code) == (404, 404, 404)
    assert moved.status_code == 404
    assert (await crm.get(f"/api/deals/{deal_id}", headers=api)).json()["title"] == "Nie dla Piotra"


async def test_an_archived_deal_leaves_the_board_and_list_and_comes_back(
    crm: httpx.AsyncClient, api: dict[str, str], people: dict[str, Browser]
) -> None:
    anna = people["anna"]
    company = await new_company(anna, "Archiwum Deal")
    lead = stage(await pipeline(crm, api), "Qualification")
    deal_id = await quick_add(anna, lead["id"], company, title="Do archiwum")

    archived = await anna.post(f"/deals/{deal_id}/archive")
    board = (await anna.get("/deals")).text
    listed = (await anna.get("/deals/list")).text
    in_archive = (await anna.get("/deals/list", params={"archived": "true"})).text
    page = (await anna.get(f"/deals/{deal_id}")).text
    restored = await anna.post(f"/deals/{deal_id}/restore")

    assert redirected_to(archived) == f"/deals/{deal_id}"
    assert deal_id not in board and "Do archiwum" not in listed and "Do archiwum" in in_archive
    assert "Restore" in page and f'href="/deals/{deal_id}/edit"' not in page
    assert redirected_to(restored) == f"/deals/{deal_id}"
    assert deal_id in (await anna.get("/deals")).text


async def test_a_head_filters_the_board_by_the_groups_managers(
    crm: httpx.AsyncClient, api: dict[str, str], people: dict[str, Browser]
) -> None:
    anna, piotr, head, ewa = people["anna"], people["piotr"], people["head"], people["ewa"]
    lead = stage(await pipeline(crm, api), "Qualification")
    annas = await quick_add(anna, lead["id"], await new_company(anna, "Anny"), title="Anny deal")
    piotrs = await quick_add(
        piotr, lead["id"], await new_company(piotr, "Piotra"), title="Piotra deal"
    )
    users = (await crm.get("/api/users", params={"q": "anna@"}, headers=api)).json()["items"]

    async def everyone() -> str:
        page = (await head.get("/deals")).text
        return page if annas in page and piotrs in page else ""

    board = await eventually(everyone, timeout=10)  # the group's people reach deals as events
    only_anna = (await head.get("/deals", params={"owner": users[0]["id"]})).text
    managers_board = (await ewa.get("/deals")).text

    assert 'id="owner-filter"' in board and "Anna Nowak" in board and "Piotr Kowal" in board
    assert "Ewa Obca" not in board  # another group
    assert annas in only_anna and piotrs not in only_anna
    assert f'<option value="{users[0]["id"]}" selected>' in only_anna
    assert 'id="owner-filter"' not in managers_board


async def test_a_head_still_finds_the_deals_of_someone_deactivated_to_give_them_on(
    crm: httpx.AsyncClient, api: dict[str, str], people: dict[str, Browser]
) -> None:
    head = people["head"]
    [anna] = (await crm.get("/api/users", params={"q": "anna@"}, headers=api)).json()["items"]
    body = {"email": "odchodzi@contentum.pl", "name": "Olga Odchodzi", "password": "x" * 12}
    body |= {"role": "manager", "team_id": anna["team_id"]}
    olga = (await crm.post("/api/users", json=body, headers=api)).json()
    company = (await crm.post("/api/companies", json={"name": "Po Oldze"}, headers=api)).json()
    deal = {"title": "Spadek po Oldze", "company_id": company["id"], "owner_id": olga["id"]}

    async def given() -> dict[str, Any] | None:  # once deals knows Olga
        answer = await crm.post("/api/deals", json=deal, headers=api)
        return answer.json() if answer.status_code == 201 else None

    await eventually(given, timeout=10, interval=0.1)
    await crm.patch(f"/api/users/{olga['id']}", json={"active": False}, headers=api)

    async def hers() -> str:
        page = (await head.get("/deals", params={"owner": olga["id"]})).text
        return page if "Spadek po Oldze" in page else ""

    board = await eventually(hers, timeout=10, interval=0.1)
    assert f'<option value="{olga["id"]}" selected>Olga Odchodzi (inactive)</option>' in board


async def test_a_card_shows_company_owner_and_next_activity_from_the_calendar(
    crm: httpx.AsyncClient, api: dict[str, str], people: dict[str, Browser]
) -> None:
    anna = people["anna"]
    company = await new_company(anna, "Kalendarzowa <S.A.>")
    lead = stage(await pipeline(crm, api), "Qualification")
    deal_id = await quick_add(anna, lead["id"], company, title="Z telefonem")

    def card(board: str) -> str:
        start = board.index(f'data-deal-id="{deal_id}"')
        return board[start : board.index("</li>", start)]

    before = card((await anna.get("/deals")).text)
    start = datetime.now(UTC) + timedelta(days=2)
    call = {
        "kind": "call",
        "title": "Telefon w sprawie oferty",
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=15)).isoformat(),
        "deal_id": deal_id,
    }
    headers = {"X-CSRF-Token": anna.token}
    assert (
        await anna.client.post("/api/activities", json=call, headers=headers)
    ).status_code == 201

    async def planned() -> str:
        found = card((await anna.get("/deals")).text)
        return found if "Telefon w sprawie oferty" in found else ""

    after = await eventually(planned, timeout=10)
    assert "No activity planned" in before
    assert "Kalendarzowa &lt;S.A.&gt;" in after and "Anna Nowak" in after
    assert "No activity planned" not in after


# --- the move dialog ---------------------------------------------------------------------------


async def test_the_move_dialog_asks_for_everything_at_once_keeps_what_was_typed_and_moves_once(
    crm: httpx.AsyncClient, api: dict[str, str], people: dict[str, Browser]
) -> None:
    """Once it asked for the amount alone, then the date alone, and so on for ever."""
    anna = people["anna"]
    found = await pipeline(crm, api)
    negotiation = stage(found, "Negotiation")
    await crm.put(
        f"/api/pipelines/{found['id']}/stages/{negotiation['id']}/requirements",
        json={"fields": ["amount", "expected_close_date"]},
        headers=api,
    )
    lead = stage(found, "Qualification")
    deal_id = await quick_add(anna, lead["id"], await new_company(anna, "Dialog"), title="Ruch")
    move = f"/deals/{deal_id}/move"

    dropped = await anna.post(move, {"stage_id": negotiation["id"]})
    wrong = await anna.post(
        move,
        {
            "stage_id": negotiation["id"],
            "dialog": "1",
            "amount": "1" * 15,
            "expected_close_date": "2099-05-01",
        },
    )
    done = await anna.post(
        move,
        {
            "stage_id": negotiation["id"],
            "dialog": "1",
            "amount": "5000",
            "expected_close_date": "2099-05-01",
        },
    )

    assert dropped.status_code == 422
    assert 'name="amount"' in dropped.text and 'name="expected_close_date"' in dropped.text
    assert 'class="error"' not in dropped.text  # a first drop asks, it does not scold
    assert wrong.status_code == 422
    assert 'name="amount"' in wrong.text and 'value="2099-05-01"' in wrong.text
    assert re.search(r'class="invalid">Amount.*class="error"', wrong.text, re.S)
    assert done.status_code == 204 and done.headers["HX-Trigger"] == "crm:moved"
    deal = (await crm.get(f"/api/deals/{deal_id}", headers=api)).json()
    assert (deal["stage_id"], deal["amount"], deal["expected_close_date"]) == (
        negotiation["id"],
        "5000.00",
        "2099-05-01",
    )


async def test_the_move_dialog_takes_the_document_as_a_file_kept_with_the_deal(
    crm: httpx.AsyncClient, api: dict[str, str], people: dict[str, Browser]
) -> None:
    anna = people["anna"]
    found = await pipeline(crm, api)
    analysis = stage(found, "Needs analysis")
    await crm.put(
        f"/api/pipelines/{found['id']}/stages/{analysis['id']}/requirements",
        json={"fields": [], "document": True},
        headers=api,
    )
    lead = stage(found, "Qualification")
    deal_id = await quick_add(anna, lead["id"], await new_company(anna, "Plikowa"), title="Oferta")
    move = f"/deals/{deal_id}/move"
    offer = pdf(["Oferta handlowa dla Plikowej"])

    dropped = await anna.post(move, {"stage_id": analysis["id"]})
    moved = await anna.client.post(
        move,
        data={"stage_id": analysis["id"], "dialog": "1", "document_title": "Oferta dla Plikowej"},
        files={"document_file": ("oferta.pdf", offer, "application/pdf")},
        headers={"X-CSRF-Token": anna.token, "HX-Request": "true"},
    )

    assert 'name="document_file"' in dropped.text and "multipart/form-data" in dropped.text
    assert moved.status_code == 204 and moved.headers["HX-Trigger"] == "crm:moved", moved.text
    deal = (await crm.get(f"/api/deals/{deal_id}", headers=api)).json()
    assert deal["stage_id"] == analysis["id"]
    listed = await crm.get("/api/documents", params={"deal_id": deal_id}, headers=api)
    [stored] = listed.json()["items"]
    assert stored["title"] == "Oferta dla Plikowej"
    content = await crm.get(f"/api/documents/{stored['id']}/content", headers=api)
    assert content.content == offer


async def test_a_stage_waiting_for_a_department_says_so_and_offers_the_request_not_a_box(
    crm: httpx.AsyncClient, api: dict[str, str], people: dict[str, Browser]
) -> None:
    anna = people["anna"]
    legal = (await crm.post("/api/departments", json={"name": "Prawny"}, headers=api)).json()
    body = {"department_id": legal["id"], "name": "Weryfikacja umowy", "sla_hours": 8}

    async def service_made() -> dict[str, Any] | None:  # once knowledge knows the department
        made = await crm.post("/api/services", json=body, headers=api)
        return made.json() if made.status_code == 201 else None

    service = await eventually(service_made, timeout=10, interval=0.1)
    found = await pipeline(crm, api)
    negotiation = stage(found, "Negotiation")
    path = f"/api/pipelines/{found['id']}/stages/{negotiation['id']}/requirements"

    async def gated() -> bool:  # once deals knows the service
        gate = {"services": [{"service_id": service["id"]}]}
        return (await crm.put(path, json=gate, headers=api)).status_code == 200

    await eventually(gated, timeout=10, interval=0.1)
    lead = stage(found, "Qualification")
    deal_id = await quick_add(anna, lead["id"], await new_company(anna, "Umowy"), title="Aneks")

    dropped = await anna.post(f"/deals/{deal_id}/move", {"stage_id": negotiation["id"]})

    assert dropped.status_code == 422
    assert "Weryfikacja umowy must be delivered for this deal first" in dropped.text
    assert f'href="/requests/new?deal_id={deal_id}"' in dropped.text
    assert 'name="services"' not in dropped.text and "Save and move" not in dropped.text


async def test_the_lost_dialog_asks_for_a_reason_chosen_on_purpose_without_complaining_first(
    crm: httpx.AsyncClient, api: dict[str, str], people: dict[str, Browser]
) -> None:
    anna = people["anna"]
    found = await pipeline(crm, api)
    lost = next(s for s in found["stages"] if s["kind"] == "lost")
    lead = stage(found, "Qualification")
    deal_id = await quick_add(
        anna, lead["id"], await new_company(anna, "Przegrana"), title="Utracona"
    )

    dropped = await anna.post(f"/deals/{deal_id}/move", {"stage_id": lost["id"]})
    select = re.search(r'<select name="lost_reason" required>(.*?)</select>', dropped.text)
    assert select, dropped.text
    first, *_ = re.findall(r"<option([^>]*)>([^<]*)<", select.group(1))
    reason = re.search(r"<option >([^<]+)<", select.group(1))
    assert first[0] == ' value=""' and reason, select.group(1)  # nothing chosen for them
    done = await anna.post(
        f"/deals/{deal_id}/move",
        {"stage_id": lost["id"], "dialog": "1", "lost_reason": reason.group(1)},
    )

    assert dropped.status_code == 422 and "say why" not in dropped.text
    assert 'class="error"' not in dropped.text
    assert done.status_code == 204
