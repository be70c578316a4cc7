"""Which periods are locked, by deadline or by the administrator."""

from datetime import date

from services.planning.domain.locking import lock_reason, locks_on

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


def test_a_period_locks_the_day_after_its_deadline() -> None:
    days = [date(2026, 12, 5), date(2026, 12, 6)]

    reasons = [lock_reason(*NOVEMBER, today=day, lock_after_days=5, locks=[]) for day in days]

    assert locks_on(NOVEMBER[1], 5) == date(2026, 12, 6)
    assert reasons == [None, "deadline"]


def test_without_a_deadline_only_an_explicit_lock_closes_a_period() -> None:
    far_later = date(2030, 1, 1)

    open_ = lock_reason(*NOVEMBER, today=far_later, lock_after_days=None, locks=[])
    locked = lock_reason(*NOVEMBER, today=far_later, lock_after_days=None, locks=[NOVEMBER])

    assert (open_, locked, locks_on(NOVEMBER[1], None)) == (None, "locked", None)


def test_a_lock_covers_the_periods_within_it_and_not_those_around_it() -> None:
    locks = [NOVEMBER]
    today = date(2026, 11, 2)

    week_inside = lock_reason(
        date(2026, 11, 9), date(2026, 11, 15), today=today, lock_after_days=None, locks=locks
    )
    week_across = lock_reason(
        date(2026, 11, 30), date(2026, 12, 6), today=today, lock_after_days=None, locks=locks
    )
    quarter = lock_reason(
        date(2026, 10, 1), date(2026, 12, 31), today=today, lock_after_days=None, locks=locks
    )

    assert (week_inside, week_across, quarter) == ("locked", None, None)
