"""How much of a plan line falls in a window of days: the one rule every figure follows.

A line counts whole in any window that holds all its days. A line that crosses the window's edge
(a week across two months, a quarter seen by the month, a custom range) counts in proportion to
the days it shares with the window: amount x shared days / the line's days, rounded to grosze
half up, line by line. The summary's SQL computes exactly this (PostgreSQL's `round(numeric, 2)`
rounds half away from zero, which for amounts of zero or more is half up).
"""

import math
from datetime import date
from decimal import Decimal
from fractions import Fraction

GROSZ = Decimal("0.01")


def days_of(start: date, end: date) -> int:
    """The number of days from `start` to `end`, both included."""
    return (end - start).days + 1


def shared_days(start: date, end: date, window_start: date, window_end: date) -> int:
    """The days the span from `start` to `end` shares with the window (0 when apart)."""
    return max(0, (min(end, window_end) - max(start, window_start)).days + 1)


def share(amount: Decimal, start: date, end: date, window_start: date, window_end: date) -> Decimal:
    """What a line of `amount` from `start` to `end` adds to the window's figures."""
    shared = shared_days(start, end, window_start, window_end)
    length = days_of(start, end)
    if shared == length:
        return amount.quantize(GROSZ)
    return _half_up(Fraction(amount) * shared / length)


def crosses(start: date, end: date, window_start: date, window_end: date) -> bool:
    """Whether a line overlapping the window counts only in part."""
    return start < window_start or end > window_end


def _half_up(value: Fraction) -> Decimal:
    """`value` in grosze, halves away from zero."""
    cents = math.floor(abs(value) * 100 + Fraction(1, 2))
    return (Decimal(cents if value >= 0 else -cents) / 100).quantize(GROSZ)
