"""The column headers an import understands: each field's name, English and Polish headers.

A header matches whatever its case, diacritics, spaces and punctuation (`Data zamknięcia`,
`DATA ZAMKNIECIA` and `data_zamkniecia` are one header), so files typed by hand or exported from
another system map without a mapping. The first two spellings of each field are the ones shown to
people (English, then Polish) when a file names none of them.
"""

import re
import unicodedata
from collections.abc import Mapping

# Ways a file names the company of a contact or a deal.
_COMPANY_REFS: dict[str, tuple[str, ...]] = {
    "company_id": ("Company ID", "ID firmy"),
    "company_tax_id": ("Company NIP", "NIP firmy", "NIP", "company tax id", "tax id"),
    "company_name": ("Company", "Firma", "company name", "nazwa firmy", "klient", "customer"),
}

# Who a company or a deal belongs to: a person's name (or id), or their id.
_OWNER_REFS: dict[str, tuple[str, ...]] = {
    "owner": (
        "Owner",
        "Opiekun",
        "handlowiec",
        "salesperson",
        "account manager",
        "opiekun klienta",
    ),
    "owner_id": ("Owner ID", "ID opiekuna"),
}

# Record type -> field -> (English header, Polish header, other spellings ...).
HEADERS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "company": {
        "name": ("Name", "Nazwa", "company name", "nazwa firmy", "company", "firma"),
        "tax_id": ("NIP", "NIP", "tax id", "vat id"),
        "street": ("Street", "Ulica", "adres", "address", "ulica i numer"),
        "postal_code": ("Postal code", "Kod pocztowy", "zip code", "post code", "kod"),
        "city": ("City", "Miasto", "miejscowosc", "town"),
        "country": ("Country", "Kraj"),
        **_OWNER_REFS,
    },
    "contact": {
        "name": ("Full name", "Imię i nazwisko", "name", "person", "osoba", "kontakt"),
        **_COMPANY_REFS,
        "position": ("Position", "Stanowisko", "job title", "title", "funkcja"),
        "phone": ("Phone", "Telefon", "tel", "phone number", "numer telefonu", "komorka"),
        "email": ("E-mail", "E-mail", "email", "mail", "email address", "adres e-mail"),
    },
    "deal": {
        "title": ("Title", "Tytuł", "deal", "name", "nazwa", "szansa sprzedazy"),
        **_COMPANY_REFS,
        **_OWNER_REFS,
        "amount": ("Amount", "Kwota", "value", "wartosc"),
        "currency": ("Currency", "Waluta"),
        "expected_close_date": (
            "Expected close date",
            "Przewidywana data zamknięcia",
            "close date",
            "data zamkniecia",
        ),
        "stage": ("Stage", "Etap"),
        "stage_id": ("Stage ID", "ID etapu"),
        "probability": ("Probability", "Prawdopodobieństwo", "prawdopodobienstwo %"),
        "source": ("Source", "Źródło"),
        "lost_reason": ("Lost reason", "Powód utraty", "przyczyna utraty"),
    },
}
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def fold(header: str) -> str:
    """A header as compared: lower case, no diacritics, words split by single spaces."""
    plain = unicodedata.normalize("NFKD", header.replace("ł", "l").replace("Ł", "L"))
    letters = "".join(char for char in plain if not unicodedata.combining(char))
    return " ".join(_NOT_WORD.sub(" ", letters.casefold()).split())


def aliases(record_type: str) -> dict[str, str]:
    """Folded header -> field, for every spelling of every field of `record_type`."""
    return {
        fold(spelling): field
        for field, spellings in HEADERS[record_type].items()
        for spelling in (field, *spellings)
    }


def shown(record_type: str, fields: tuple[str, ...], locale: str) -> list[str]:
    """The header people are shown for each of `fields`, in `locale` (Polish or English)."""
    which = 1 if locale == "pl" else 0
    return [HEADERS[record_type][field][which] for field in fields]
