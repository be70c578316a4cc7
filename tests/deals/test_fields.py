"""Custom field values: read by their kind, refused in words of our own whatever the parser said."""

import pytest

from services.deals.domain.fields import EXPECTED, BadValue, read_value
from shared.i18n import translate


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("number", "dużo"),
        ("number", "NaN"),
        ("money", True),
        ("date", "31.12.2099"),
        ("boolean", "tak"),
        ("select", "zielony"),
        ("user", "nie-uuid"),
        ("document", "ftp://x"),
        ("text", "x" * 2001),
    ],
)
def test_a_value_that_does_not_fit_is_refused_with_its_kinds_message(
    kind: str, value: object
) -> None:
    with pytest.raises(BadValue) as refused:
        read_value(kind, value, ["czerwony"])  # type: ignore[arg-type]

    assert str(refused.value) == EXPECTED[kind]
    assert translate(str(refused.value), "pl") != EXPECTED[kind]


def test_values_that_fit_are_stored_in_one_spelling() -> None:
    assert read_value("number", "1.50") == "1.50"
    assert read_value("date", "2099-12-31") == "2099-12-31"
    assert read_value("select", "czerwony", ["czerwony"]) == "czerwony"
    assert read_value("text", "") is None
