"""Customers in the pages, over HTTP with the whole CRM in process: companies and contacts
created, changed, searched and archived, by the people allowed to."""

import re

import httpx

from tests.gateway.conftest import (
    Browser,
    new_company,
    pipeline,
    quick_add,
    redirected_to,
    stage,
)

NIP = "5260250274"


# --- companies ---------------------------------------------------------------------------------


async def test_a_company_form_refuses_a_wrong_nip_next_to_the_field(
    people: dict[str, Browser],
) -> None:
    anna = people["anna"]

    wrong = await anna.post("/companies", {"name": "Zła Firma", "tax_id": "1234567890"})
    nameless = await anna.post("/companies", {"name": "", "tax_id": ""})

    assert wrong.status_code == 422
    assert 'value="Zła Firma"' in wrong.text  # what was typed stays
    assert re.search(r'id="nip-check".*checksum does not match', wrong.text, re.S)
    assert nameless.status_code == 422 and 'class="invalid">Name' in nameless.text


async def test_the_nip_is_checked_as_typed(people: dict[str, Browser]) -> None:
    anna = people["anna"]
    holder = await new_company(anna, "Huta <Łabędy>", NIP)

    wrong = await anna.get("/companies/nip-check", params={"tax_id": "123"})
    valid = await anna.get("/companies/nip-check", params={"tax_id": "PL 1234563218"})
    taken = await anna.get("/companies/nip-check", params={"tax_id": "526-025-02-74"})
    own = await anna.get("/companies/nip-check", params={"tax_id": NIP, "company_id": holder})

    assert "10 digits" in wrong.text
    assert "Valid NIP" in valid.text
    assert f'href="/companies/{holder}"' in taken.text and "Huta &lt;Łabędy&gt;" in taken.text
    assert "exists" not in own.text  # the company being edited may keep its NIP


async def test_a_duplicate_nip_is_refused_with_a_link_to_the_company_that_has_it(
    people: dict[str, Browser],
) -> None:
    piotr = people["piotr"]
    holder = (await piotr.get("/companies", params={"q": "huta"})).text

    answer = await piotr.post("/companies", {"name": "Druga Huta", "tax_id": "526 025 02 74"})

    [holder_id] = re.findall(r'href="/companies/([0-9a-f-]+)"', holder)
    assert answer.status_code == 422
    assert "a company with this NIP exists" in answer.text
    assert f'href="/companies/{holder_id}"' in answer.text


async def test_a_company_is_changed_by_its_owner_not_by_another_manager(
    people: dict[str, Browser],
) -> None:
    anna, ewa = people["anna"], people["ewa"]
    company = await new_company(anna, "Stara Nazwa")

    form = await anna.get(f"/companies/{company}/edit")
    changed = await anna.post(f"/companies/{company}", {"name": "Nowa Nazwa", "city": "Łódź"})
    refused = await ewa.post(f"/companies/{company}", {"name": "Przejęta"})
    empty = await anna.post(f"/companies/{company}", {"name": ""})

    assert 'value="Stara Nazwa"' in form.text
    assert redirected_to(changed) == f"/companies/{company}"
    assert "Łódź" in (await anna.get(f"/companies/{company}")).text
    assert refused.status_code == 422 and "only the owner, their head" in refused.text
    assert empty.status_code == 422 and "invalid" in empty.text


async def test_a_company_without_a_city_lists_an_empty_city_not_none(
    people: dict[str, Browser],
) -> None:
    anna = people["anna"]
    made = await anna.post("/companies", {"name": "Bez Miasta", "postal_code": "90-001"})
    assert made.status_code == 204, made.text  # HTMX is sent on to the company

    listed = await anna.get("/companies", params={"q": "Bez Miasta"})

    assert "Bez Miasta" in listed.text and "None" not in listed.text


# --- contacts ----------------------------------------------------------------------------------


async def test_a_contact_is_added_from_the_company_page_with_its_company_chosen(
    people: dict[str, Browser],
) -> None:
    anna = people["anna"]
    company = await new_company(anna, "Kontaktowa sp. z o.o.")
    page = (await anna.get(f"/companies/{company}")).text

    form = await anna.get(f"/contacts/new?company_id={company}")
    bad = await anna.post("/contacts", {"name": "Łucja Żak", "company_id": company, "email": "x@"})
    added = await anna.post(
        "/contacts",
        {
            "name": "Łucja Żak",
            "company_id": company,
            "email": "lucja@kontakt.pl",
            "phone": "600 100 200",
        },
    )

    assert f'href="/contacts/new?company_id={company}"' in page
    assert f'<option value="{company}" selected>' in form.text
    assert bad.status_code == 422 and re.search(
        r'class="invalid">E-mail.*class="error"', bad.text, re.S
    )
    assert 'value="Łucja Żak"' in bad.text
    assert redirected_to(added) == f"/companies/{company}"
    assert "Łucja Żak" in (await anna.get(f"/companies/{company}")).text


async def test_contacts_are_searched_without_diacritics_and_paged(
    people: dict[str, Browser],
) -> None:
    anna = people["anna"]
    for n in range(51):
        await anna.post("/contacts", {"name": f"Zenon Źdźbło {n:02d}"})

    found = await anna.get("/contacts", params={"q": "zdzblo"})
    more = re.search(r'"cursor": "([^"]+)"', found.text)
    assert more, "a second page is offered"
    rest = await anna.get("/contacts", params={"q": "zdzblo", "cursor": more.group(1)})
    by_phone = await anna.get(
        "/contacts", params={"q": "600100200"}, headers={"HX-Request": "true"}
    )
    nobody = await anna.get("/contacts", params={"q": "nikt taki"}, headers={"HX-Request": "true"})

    assert found.text.count("Zenon Źdźbło") == 50 and "<html" in found.text
    assert rest.text.count("Zenon Źdźbło") == 1 and "<html" not in rest.text
    assert "Łucja Żak" in by_phone.text and "Kontaktowa sp. z o.o." in by_phone.text
    assert "No contact matches." in nobody.text


async def test_an_archived_contact_leaves_the_list_and_comes_back_when_restored(
    people: dict[str, Browser],
) -> None:
    anna, ewa = people["anna"], people["ewa"]
    redirected_to(await anna.post("/contacts", {"name": "Archiwalny Adam"}))
    [contact] = re.findall(
        r'href="/contacts/([0-9a-f-]+)">Archiwalny',
        (await anna.get("/contacts", params={"q": "archiwalny"})).text,
    )

    refused = await ewa.post(f"/contacts/{contact}/archive")
    archived = await anna.post(f"/contacts/{contact}/archive")
    active = (await anna.get("/contacts", params={"q": "archiwalny"})).text
    in_archive = (await anna.get("/contacts", params={"q": "archiwalny", "archived": "true"})).text
    page = (await anna.get(f"/contacts/{contact}")).text
    restored = await anna.post(f"/contacts/{contact}/restore")

    assert refused.status_code == 403 and "crm:error" in refused.headers["HX-Trigger"]
    assert redirected_to(archived) == f"/contacts/{contact}"
    assert "Archiwalny Adam" not in active and "Archiwalny Adam" in in_archive
    assert "Restore" in page and "Archived" in page
    assert redirected_to(restored) == f"/contacts/{contact}"
    assert "Archiwalny Adam" in (await anna.get("/contacts", params={"q": "archiwalny"})).text


async def test_a_contacts_page_calls_and_writes_to_them_in_one_tap(
    people: dict[str, Browser],
) -> None:
    anna = people["anna"]
    firm = await new_company(anna, "Dzwoniąca")
    answer = await anna.post(
        "/contacts",
        {
            "name": "Jan Telefon",
            "company_id": firm,
            "phone": "+48 600 100 200",
            "email": "jan@x.pl",
        },
    )
    redirected_to(answer)
    listed = (await anna.get("/contacts", params={"q": "jan telefon"})).text
    [contact_id] = re.findall(r'href="/contacts/([0-9a-f-]{36})"', listed)
    contact_page = (await anna.get(f"/contacts/{contact_id}")).text

    assert 'href="tel:+48600100200"' in contact_page and "Call +48 600 100 200" in contact_page
    assert 'href="mailto:jan@x.pl"' in contact_page


async def test_a_head_gives_a_company_to_another_manager_in_its_form_and_the_page_names_them(
    people: dict[str, Browser],
) -> None:
    anna, piotr, head, ewa = people["anna"], people["piotr"], people["head"], people["ewa"]
    company_id = await new_company(anna, "Przekazywana")
    own_page = (await anna.get(f"/companies/{company_id}")).text
    own_form = (await anna.get(f"/companies/{company_id}/edit")).text
    heads_form = (await head.get(f"/companies/{company_id}/edit")).text
    [piotr_id] = re.findall(r'<option value="([0-9a-f-]+)"\s*>Piotr Kowal<', heads_form)

    given = await head.post(
        f"/companies/{company_id}", {"name": "Przekazywana", "country": "PL", "owner_id": piotr_id}
    )

    assert "Account manager</dt><dd>Anna Nowak" in own_page and "/edit" in own_page
    assert 'name="owner_id"' not in own_form  # a manager keeps their own customers
    assert redirected_to(given) == f"/companies/{company_id}"
    now = (await piotr.get(f"/companies/{company_id}")).text
    assert "Account manager</dt><dd>Piotr Kowal" in now and f"/companies/{company_id}/edit" in now
    assert "Account manager: Anna Nowak → Piotr Kowal" in now  # in the company's history
    elsewhere = (await ewa.get(f"/companies/{company_id}")).text
    assert f"/companies/{company_id}/edit" not in elsewhere
    assert f"/companies/{company_id}/archive" not in elsewhere
    assert (await ewa.get(f"/companies/{company_id}/edit")).status_code == 403
    assert f"/companies/{company_id}/edit" not in (await anna.get(f"/companies/{company_id}")).text


async def test_a_companys_history_tells_of_its_contacts_given_on_archived_and_restored(
    people: dict[str, Browser],
) -> None:
    anna, head = people["anna"], people["head"]
    company_id = await new_company(anna, "Historyczna")
    redirected_to(await anna.post("/contacts", {"name": "Jan Kronika", "company_id": company_id}))
    [contact] = re.findall(
        r'href="/contacts/([0-9a-f-]+)">Jan Kronika',
        (await anna.get(f"/companies/{company_id}")).text,
    )
    heads_form = (await head.get(f"/contacts/{contact}")).text
    assert 'hx-confirm="Archive Jan Kronika? They leave the lists' in heads_form
    [piotr_id] = re.findall(r'<option value="([0-9a-f-]+)" ?[a-z]*>Piotr Kowal<', heads_form)

    given = await head.post(
        f"/contacts/{contact}",
        {"name": "Jan Kronika", "company_id": company_id, "owner_id": piotr_id},
    )
    archived = await head.post(f"/contacts/{contact}/archive")
    restored = await head.post(f"/contacts/{contact}/restore")
    archived_company = await head.post(f"/companies/{company_id}/archive")
    history = (await head.get(f"/companies/{company_id}")).text

    for answer in (given, archived, restored, archived_company):
        assert answer.status_code in (200, 204, 303), answer.text
    assert "Account manager of Jan Kronika: Anna Nowak → Piotr Kowal" in history
    assert "Contact Jan Kronika archived" in history
    assert "Contact Jan Kronika restored" in history
    assert "Moved to the archive" in history
    assert "contact.archived" not in history and "contact.owner_id" not in history
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", history)  # no raw instants


async def test_a_companys_history_begins_with_it_and_records_its_name_nip_and_address(
    people: dict[str, Browser],
) -> None:
    anna = people["anna"]
    company_id = await new_company(anna, "Kronikarz")
    first = (await anna.get(f"/companies/{company_id}")).text
    saved = await anna.post(
        f"/companies/{company_id}",
        {
            "name": "Kronikarz S.A.",
            "tax_id": "777-300-12-35",
            "street": "ul. Długa 5",
            "postal_code": "00-238",
            "city": "Warszawa",
            "country": "PL",
        },
    )
    again = await anna.post(  # the same details again: nothing changed, nothing recorded
        f"/companies/{company_id}",
        {
            "name": "Kronikarz S.A.",
            "tax_id": "7773001235",
            "street": "ul. Długa 5",
            "postal_code": "00-238",
            "city": "Warszawa",
            "country": "PL",
        },
    )
    history = (await anna.get(f"/companies/{company_id}")).text

    assert "Company added" in first and "Nothing has happened yet." not in first
    assert redirected_to(saved) == redirected_to(again) == f"/companies/{company_id}"
    assert "Name: Kronikarz → Kronikarz S.A." in history
    assert "NIP: — → 7773001235" in history
    assert "Address: — → ul. Długa 5, 00-238 Warszawa, PL" in history
    assert history.count("Name: ") == 1 and history.count("Company added") == 1


async def test_a_companys_history_records_the_contacts_added_at_it(
    people: dict[str, Browser],
) -> None:
    anna = people["anna"]
    company_id = await new_company(anna, "Kronika Ludzi")
    redirected_to(
        await anna.post("/contacts", {"name": "Łucja <b>Żak</b>", "company_id": company_id})
    )
    redirected_to(await anna.post("/contacts", {"name": "Nikt Stąd"}))  # at no company

    page = (await anna.get(f"/companies/{company_id}")).text

    history = page[page.index('class="timeline"') :]
    assert "Contact Łucja &lt;b&gt;Żak&lt;/b&gt; added" in history
    assert "Nikt Stąd" not in history and history.count("Company added") == 1


async def test_a_contact_moving_to_another_company_is_in_both_companies_histories(
    people: dict[str, Browser],
) -> None:
    anna = people["anna"]
    left, joined = await new_company(anna, "Stara Firma"), await new_company(anna, "Nowa Firma")
    redirected_to(await anna.post("/contacts", {"name": "Wędrowny Witold", "company_id": left}))
    [contact] = re.findall(
        r'href="/contacts/([0-9a-f-]+)">Wędrowny',
        (await anna.get("/contacts", params={"q": "wedrowny"})).text,
    )

    moved = await anna.post(
        f"/contacts/{contact}", {"name": "Wędrowny Witold", "company_id": joined}
    )

    assert redirected_to(moved)
    for company_id in (left, joined):
        page = (await anna.get(f"/companies/{company_id}")).text
        history = page[page.index('class="timeline"') :]
        assert "Company of Wędrowny Witold: Stara Firma → Nowa Firma" in history, company_id


async def test_a_companys_history_says_which_of_its_deals_each_entry_is_about(
    crm: httpx.AsyncClient, api: dict[str, str], people: dict[str, Browser]
) -> None:
    anna = people["anna"]
    firm = await new_company(anna, "Dwie Umowy")
    first = stage(await pipeline(crm, api), "Qualification")["id"]
    oven = await quick_add(anna, first, firm, title="Piec hartowniczy")
    crane = await quick_add(anna, first, firm, title="Suwnica bramowa")

    page = (await anna.get(f"/companies/{firm}")).text

    history = page[page.index('class="timeline"') :]
    assert f'<a href="/deals/{oven}">Piec hartowniczy</a>' in history
    assert f'<a href="/deals/{crane}">Suwnica bramowa</a>' in history


async def test_a_card_without_an_amount_starts_with_its_date_and_no_column_counts_nothing(
    crm: httpx.AsyncClient, api: dict[str, str], people: dict[str, Browser]
) -> None:
    piotr = people["piotr"]
    firm = await new_company(piotr, "Bez Kwoty")
    offer = stage(await pipeline(crm, api), "Negotiation")["id"]
    await quick_add(piotr, offer, firm, title="Bez kwoty", expected_close_date="2099-12-20")

    board = (await piotr.get("/deals")).text

    card = board[board.index(">Bez kwoty<") :]
    date = re.search(r'<span class="muted">\s*(.*?)</span>', card, re.S)
    assert date and date.group(1).split() == ["Dec", "20,", "2099"]
    assert "PLN0.00" not in board


async def test_a_contacts_page_names_its_account_manager_and_saves_only_for_who_may(
    people: dict[str, Browser],
) -> None:
    anna, head, ewa = people["anna"], people["head"], people["ewa"]
    firm = await new_company(anna, "Kontaktowa")
    redirected_to(await anna.post("/contacts", {"name": "Iza Kontakt", "company_id": firm}))
    listed = (await anna.get("/contacts", params={"q": "iza kontakt"})).text
    [contact_id] = re.findall(r'href="/contacts/([0-9a-f-]{36})"', listed)
    path = f"/contacts/{contact_id}"

    own = (await anna.get(path)).text
    others = (await ewa.get(path)).text
    heads = (await head.get(path)).text

    assert "Account manager: Anna Nowak" in own and ">Save<" in own
    assert "Account manager: Anna Nowak" in others and ">Save<" not in others
    assert f"{path}/archive" not in others and f"{path}/archive" in own
    assert 'name="owner_id"' in heads and ">Save<" in heads
