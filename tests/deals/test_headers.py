"""Column headers: each field's name, English and Polish headers, whatever their case and accents."""

import pytest

from services.deals.domain import headers
from services.deals.domain.sheet import FIELDS


def test_a_header_matches_whatever_its_case_accents_and_punctuation() -> None:
    spellings = ["Data zamknięcia", "DATA ZAMKNIĘCIA", "data_zamkniecia", " Data  zamknięcia: "]

    assert {headers.fold(spelling) for spelling in spellings} == {"data zamkniecia"}
    assert headers.fold("Łódź, Źródło") == "lodz zrodlo"


@pytest.mark.parametrize("record_type", ["company", "contact", "deal"])
def test_every_field_has_an_english_and_a_polish_header_and_no_spelling_means_two_fields(
    record_type: str,
) -> None:
    named = headers.HEADERS[record_type]
    spellings = [
        (headers.fold(spelling), field)
        for field, names in named.items()
        for spelling in (field, *names)
    ]

    assert set(named) == set(FIELDS[record_type])
    assert all(len(names) >= 2 for names in named.values())
    clashes = {
        s
        for s, field in spellings
        for other_s, other in spellings
        if s == other_s and field != other
    }
    assert not clashes


def test_polish_and_english_headers_map_to_fields_and_are_shown_in_either_language() -> None:
    deal = headers.aliases("deal")

    assert deal[headers.fold("Przewidywana data zamknięcia")] == "expected_close_date"
    assert deal[headers.fold("Powód utraty")] == "lost_reason"
    assert deal[headers.fold("NIP")] == "company_tax_id"  # in a deal file, the company's
    assert headers.aliases("company")[headers.fold("NIP")] == "tax_id"
    assert headers.shown("deal", ("title", "stage"), "pl") == ["Tytuł", "Etap"]
    assert headers.shown("deal", ("title", "stage"), "en") == ["Title", "Stage"]
