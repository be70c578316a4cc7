"""Imports speak the user's language: reasons in one language only."""

import httpx

from shared.testing.apps import ADMIN, identity_headers
from tests.deals.conftest import NIP, finished, new_company, rejected_rows, upload

POLISH = identity_headers(ADMIN.model_copy(update={"locale": "pl"}))


async def test_a_polish_users_report_is_all_in_polish(deals: httpx.AsyncClient) -> None:
    await new_company(deals, "Kowalski", NIP)
    await deals.post(
        "/api/fields",
        json={"record_type": "deal", "key": "budget", "label": "Budżet", "type": "number"},
    )
    header = "title;company_tax_id;amount;currency;expected_close_date;probability;custom.budget"
    rows = [
        f"Kwota słowami;{NIP};sto;PLN;;;",
        f"Ujemna;{NIP};-5;PLN;;;",
        f"Grosze;{NIP};1,555;PLN;;;",
        f"Waluta;{NIP};1;złote;;;",
        f"Data;{NIP};1;PLN;2099-13-45;;",
        f"Szansa;{NIP};1;PLN;;150;",
        f"Budżet;{NIP};1;PLN;;;dużo",
        f";{NIP};1;PLN;;;",
        "Zły NIP;123;1;PLN;;;",
        "x" * 201 + f";{NIP};1;PLN;;;",
    ]
    contacts = "name;email;phone;company_id\nJan;jan@;abc;nie-uuid\n"

    deal_job = await finished(deals, await upload(deals, "\n".join([header, *rows]), who=POLISH))
    contact_job = await finished(deals, await upload(deals, contacts, "contact", who=POLISH))

    errors = [
        row["error"]
        for job in (deal_job, contact_job)
        for row in await rejected_rows(deals, job["id"])
    ]
    assert errors == [
        "amount: to nie jest liczba",
        "amount: musi wynosić co najmniej 0",
        "amount: najwyżej 2 cyfry po przecinku",
        "currency: ta wartość ma niewłaściwą postać",
        "expected_close_date: to nie jest data (RRRR-MM-DD lub DD.MM.RRRR)",
        "probability: musi wynosić najwyżej 100",
        "custom.budget: oczekiwano liczby",
        "title: uzupełnij tę wartość",
        "company_tax_id: NIP musi mieć 10 cyfr (dozwolone myślniki i spacje)",
        "title: najwyżej 200 znaków",
        "company_id: to nie jest identyfikator (UUID); phone: ta wartość ma niewłaściwą postać; "
        "email: to nie jest adres e-mail",
    ]
