"""The Polish tax id (NIP): ten digits, the last a checksum of the first nine."""

import re
from functools import lru_cache

from shared.text import N_

_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
_SEPARATORS = re.compile(r"[\s-]")


def checksum(first_nine: str) -> int:
    """The tenth digit of a NIP; 10 means no valid NIP starts with these nine digits."""
    return sum(int(digit) * weight for digit, weight in zip(first_nine, _WEIGHTS, strict=True)) % 11


@lru_cache(maxsize=4096)  # an import names the same companies row after row
def normalize_nip(value: str) -> str:
    """The NIP as ten digits, or `ValueError` saying what is wrong with it."""
    digits = _SEPARATORS.sub("", value.strip()).removeprefix("PL")
    if not re.fullmatch(r"\d{10}", digits):
        raise ValueError(N_("NIP must have 10 digits (dashes and spaces allowed)"))
    if checksum(digits[:9]) != int(digits[9]):
        raise ValueError(N_("NIP checksum does not match: check the digits"))
    return digits
