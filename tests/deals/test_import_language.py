"""Imports speak the user's language: Polish or English headers, reasons in one language only."""

import httpx

from shared.testing.apps import ADMIN, identity_headers
from tests.deals.conftest import NIP, finished, new_company, rejected_rows, sql, upload


def in_polish() -> dict[str, str]:
    """An administrator speaking Polish; signed when asked, as identities live a minute."""
    return identity_headers(ADMIN.model_copy(update={"locale": "pl"}))


async def test_files_with_polish_headers_import_without_a_mapping(
    deals: httpx.AsyncClient,
) -> None:
    companies = "Nazwa;NIP;Ulica;Kod pocztowy;Miasto;Kraj\n"
    companies += f"Zakład „Łoś”;{NIP};ul. Długa 1;00-001;Warszawa;PL\n"
    contacts = "IMIĘ I NAZWISKO;Stanowisko;Telefon;E-mail;NIP firmy\n"
    contacts += f"Anna Nowak;Prezes;+48 600 100 200;anna@los.pl;{NIP}\n"
    deals_file = "Tytuł;Firma;Kwota;Waluta;Data zamknięcia;Etap;Prawdopodobieństwo;Źródło\n"
    deals_file += "Linia;zakład „łoś”;1 200,50;EUR;31.12.2099;Negotiation;80;targi\n"

    jobs = [
        await finished(deals, await upload(deals, body, kind, who=in_polish()))
        for kind, body in (("company", companies), ("contact", contacts), ("deal", deals_file))
    ]

    assert [job["imported"] for job in jobs] == [1, 1, 1]
    [company] = await sql(deals, "SELECT id, street, postal_code, city, country FROM company")
    assert company[1:] == ("ul. Długa 1", "00-001", "Warszawa", "PL")
    [contact] = await sql(deals, "SELECT name, position, phone, email, company_id FROM contact")
    assert contact == ("Anna Nowak", "Prezes", "+48 600 100 200", "anna@los.pl", company[0])
    [deal] = await sql(
        deals, "SELECT amount::text, currency, probability, source, company_id FROM deal"
    )
    assert deal == ("1200.50", "EUR", 80, "targi", company[0])


async def test_a_file_naming_no_known_column_is_refused_listing_the_ones_it_takes(
    deals: httpx.AsyncClient,
) -> None:
    file = b"Klient;Numer\nKowalski;1\n"

    polish = await upload(deals, file, "company", who=in_polish())
    english = await upload(deals, file, "company")

    assert polish.status_code == english.status_code == 422
    no_column, missing = polish.json()["detail"]  # and the required `name` is missing
    assert no_column["msg"].startswith("żadna kolumna nagłówka nie jest polem do importu")
    assert no_column["ctx"]["choices"] == [
        "Nazwa",
        "NIP",
        "Ulica",
        "Kod pocztowy",
        "Miasto",
        "Kraj",
        "Opiekun",
        "ID opiekuna",
    ]
    assert "Nazwa, NIP, Ulica, Kod pocztowy, Miasto, Kraj, Opiekun" in no_column["msg"]
    assert (missing["loc"], missing["ctx"]["choices"]) == (["body", "file", "name"], ["Nazwa"])
    [english_no_column, _] = english.json()["detail"]
    assert english_no_column["ctx"]["choices"][:3] == ["Name", "NIP", "Street"]


async def test_a_missing_required_column_names_its_headers_in_the_users_language(
    deals: httpx.AsyncClient,
) -> None:
    answer = await upload(deals, "Tytuł;Kwota\nLinia;100\n", who=in_polish())

    assert answer.status_code == 422
    [missing] = answer.json()["detail"]
    assert missing["loc"] == ["body", "file", "company_id | company_tax_id | company_name"]
    assert missing["msg"] == "brakuje wymaganej kolumny: ID firmy, NIP firmy, Firma"


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

    deal_job = await finished(
        deals, await upload(deals, "\n".join([header, *rows]), who=in_polish())
    )
    contact_job = await finished(deals, await upload(deals, contacts, "contact", who=in_polish()))

    errors = [
        row["błąd"]  # the header's added columns in Polish too
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
