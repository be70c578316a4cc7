"""A line's share of a window: whole inside it, by its days across the edge, rounded half up."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from services.planning.domain.prorata import crosses, share

NOV_30, DEC_6 = date(2026, 11, 30), date(2026, 12, 6)


def test_a_week_across_two_months_is_split_by_its_days() -> None:
    november = share(Decimal(100), NOV_30, DEC_6, date(2026, 11, 1), date(2026, 11, 30))
    december = share(Decimal(100), NOV_30, DEC_6, date(2026, 12, 1), date(2026, 12, 31))

    assert (november, december) == (Decimal("14.29"), Decimal("85.71"))
    assert crosses(NOV_30, DEC_6, date(2026, 12, 1), date(2026, 12, 31))


def test_half_a_grosz_rounds_up_and_a_line_apart_adds_nothing() -> None:
    two_days = (date(2026, 1, 1), date(2026, 1, 2))

    assert share(Decimal("0.01"), *two_days, date(2026, 1, 2), date(2026, 1, 9)) == Decimal("0.01")
    assert share(Decimal("0.03"), *two_days, date(2026, 1, 2), date(2026, 1, 9)) == Decimal("0.02")
    assert share(Decimal(5), *two_days, date(2026, 2, 1), date(2026, 2, 9)) == Decimal("0.00")


amounts = st.decimals(min_value=0, max_value=10**9, places=2)


@given(amounts, st.integers(0, 400), st.integers(0, 400), st.integers(1, 60))
def test_a_line_split_at_any_day_loses_at_most_a_grosz(
    amount: Decimal, length: int, cut: int, offset: int
) -> None:
    start = date(2026, 1, 1) + timedelta(days=offset)
    end = start + timedelta(days=length)
    at = start + timedelta(days=min(cut, length))
    before = share(amount, start, end, date(2025, 1, 1), at - timedelta(days=1))
    after = share(amount, start, end, at, date(2028, 1, 1))

    assert share(amount, start, end, start - timedelta(days=1), end) == amount
    assert abs(before + after - amount) <= Decimal("0.01")
    assert Decimal(0) <= before <= amount
