"""Amounts typed in forms are read as each language writes them, and shown back the same way."""

from decimal import Decimal

import pytest
from babel import numbers
from hypothesis import given
from hypothesis import strategies as st

from services.gateway.web import i18n
from services.gateway.web.i18n import format_amount, read_amount


@pytest.mark.parametrize(
    ("typed", "locale", "read"),
    [
        ("1 000,50", "pl", "1000.50"),
        ("1\u00a0000,50", "pl", "1000.50"),  # as the page itself writes it
        ("1.000,5", "pl", "1000.5"),
        ("1.500", "pl", "1500"),
        ("1000.5", "pl", "1000.5"),
        ("1,000.50", "en", "1000.50"),
        ("1,000", "en", "1000"),
        ("1000,5", "en", "1000.5"),
        ("1,000,000", "en", "1000000"),
        ("four hundred", "en", "fourhundred"),  # left for the service to refuse
    ],
)
def test_a_typed_amount_is_read_in_the_readers_language(typed: str, locale: str, read: str) -> None:
    assert read_amount(typed, locale) == read


def test_an_amount_is_shown_for_editing_as_the_language_writes_it() -> None:
    token = i18n.current_locale.set("pl")
    try:
        polish = format_amount("250000.5")
    finally:
        i18n.current_locale.reset(token)
    token = i18n.current_locale.set("en")
    try:
        english = format_amount("250000.5")
    finally:
        i18n.current_locale.reset(token)

    assert polish == "250\u00a0000,50" and read_amount(polish, "pl") == "250000.50"
    assert english == "250,000.50" and read_amount(english, "en") == "250000.50"


@given(
    amount=st.decimals(min_value=0, max_value=10**12, places=4, allow_nan=False),
    locale=st.sampled_from(["pl", "en"]),
    currency=st.sampled_from(["PLN", "EUR", "USD", "GBP", "JPY", "CHF", "BHD"]),
)
def test_money_is_written_exactly_as_babel_writes_it(
    amount: Decimal, locale: str, currency: str
) -> None:
    token = i18n.current_locale.set(locale)
    try:
        written = i18n.format_money(amount, currency)
    finally:
        i18n.current_locale.reset(token)

    assert written == numbers.format_currency(amount, currency, locale=locale)
