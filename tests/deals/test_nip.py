"""The Polish tax id: ten digits whose last is a weighted checksum of the first nine."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.deals.domain.nip import checksum, normalize_nip

nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


@given(nine_digits.filter(lambda first: checksum(first) != 10))
def test_every_nip_with_its_checksum_is_accepted(first: str) -> None:
    nip = first + str(checksum(first))

    assert normalize_nip(nip) == nip
    assert normalize_nip(f"{nip[:3]}-{nip[3:6]}-{nip[6:8]}-{nip[8:]}") == nip


@given(nine_digits.filter(lambda first: checksum(first) != 10), st.integers(1, 9))
def test_a_wrong_last_digit_is_refused(first: str, shift: int) -> None:
    wrong = (checksum(first) + shift) % 10  # any other digit: shift is 1..9
    with pytest.raises(ValueError, match="checksum"):
        normalize_nip(first + str(wrong))


@pytest.mark.parametrize("value", ["", "123", "12345678901", "526O250274", "526 025 02 7x"])
def test_anything_but_ten_digits_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="10 digits"):
        normalize_nip(value)


def test_a_known_real_nip_passes_in_every_usual_spelling() -> None:
    assert normalize_nip("526-025-02-74") == "5260250274"
    assert normalize_nip("PL 526 025 02 74") == "5260250274"
