"""Locked periods: once a period's deadline has passed, or the administrator has locked it, its
plan is frozen for everyone but the administrator."""

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Literal

LockReason = Literal["deadline", "locked"]


def locks_on(end: date, lock_after_days: int | None) -> date | None:
    """The first day a period ending on `end` is locked by its deadline (None: never)."""
    return None if lock_after_days is None else end + timedelta(days=lock_after_days + 1)


def lock_reason(
    start: date,
    end: date,
    *,
    today: date,
    lock_after_days: int | None,
    locks: Iterable[tuple[date, date]],
) -> LockReason | None:
    """Why the period from `start` to `end` is closed, if it is.

    A lock covers every period that lies within its dates: locking a month also locks its weeks
    and days, but not a quarter that holds it.
    """
    if any(lock_start <= start and end <= lock_end for lock_start, lock_end in locks):
        return "locked"
    deadline = locks_on(end, lock_after_days)
    if deadline is not None and today >= deadline:
        return "deadline"
    return None
