"""Plan periods: each kind starts where it must and ends where it follows."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.planning.domain.periods import BadPeriod, period_range, previous, start_of


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("day", date(2026, 11, 27), date(2026, 11, 27)),
        ("week", date(2026, 11, 23), date(2026, 11, 29)),
        ("month", date(2026, 2, 1), date(2026, 2, 28)),
        ("month", date(2028, 2, 1), date(2028, 2, 29)),
        ("quarter", date(2026, 10, 1), date(2026, 12, 31)),
        ("year", date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_each_period_ends_where_it_follows(period: str, start: date, end: date) -> None:
    assert period_range(period, start) == (start, end)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("period", "start", "end", "field"),
    [
        ("week", date(2026, 11, 25), None, "start_date"),
        ("month", date(2026, 11, 2), None, "start_date"),
        ("quarter", date(2026, 2, 1), None, "start_date"),
        ("year", date(2026, 2, 1), None, "start_date"),
        ("custom", date(2026, 2, 1), None, "end_date"),
        ("custom", date(2026, 2, 1), date(2026, 1, 31), "end_date"),
        ("month", date(2026, 2, 1), date(2026, 2, 27), "end_date"),
    ],
)
def test_a_period_that_does_not_fit_names_the_wrong_date(
    period: str, start: date, end: date | None, field: str
) -> None:
    with pytest.raises(BadPeriod) as refused:
        period_range(period, start, end)  # type: ignore[arg-type]
    assert refused.value.field == field


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    st.sampled_from(["day", "week", "month", "quarter", "year"]),
)
def test_the_previous_period_ends_the_day_before(some_day: date, period: str) -> None:
    begin, end = period_range(period, start_of(period, some_day))  # type: ignore[arg-type]

    before_start, before_end = previous(period, begin, end)  # type: ignore[arg-type]

    assert before_end == begin - timedelta(days=1)
    assert period_range(period, before_start) == (before_start, before_end)  # type: ignore[arg-type]
