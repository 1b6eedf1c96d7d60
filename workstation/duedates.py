"""Response time limits: FOIA's 20 working days (federal holidays excluded); agency requests a set number
of calendar days the office chooses.

Any received date the calendar holds (0001-01-01 to 9999-12-31) is taken; a due date that would fall after
9999-12-31 raises BeyondCalendar, which the import turns into a message naming the file and the field."""

from __future__ import annotations

from datetime import MAXYEAR, date, timedelta
from functools import cache


class BeyondCalendar(ValueError):
    """The due date would fall after 9999-12-31, the last day Python's calendar holds."""


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    d = date(year, month, 1)
    d += timedelta(days=(weekday - d.weekday()) % 7)
    return d + timedelta(weeks=n - 1)


def _last_weekday(year: int, month: int, weekday: int) -> date:
    d = date(year, month + 1, 1) - timedelta(days=1) if month < 12 else date(year, 12, 31)
    return d - timedelta(days=(d.weekday() - weekday) % 7)


def _observed(d: date) -> date:
    if d.weekday() == 5:
        return d - timedelta(days=1)
    if d.weekday() == 6:
        return d + timedelta(days=1)
    return d


@cache
def federal_holidays(year: int) -> frozenset[date]:
    """5 U.S.C. 6103(a) holidays, as observed."""
    fixed = [date(year, 1, 1), date(year, 6, 19), date(year, 7, 4), date(year, 11, 11), date(year, 12, 25)]
    days = {_observed(d) for d in fixed}
    days |= {
        _nth_weekday(year, 1, 0, 3),    # Birthday of Martin Luther King, Jr.
        _nth_weekday(year, 2, 0, 3),    # Washington's Birthday
        _last_weekday(year, 5, 0),      # Memorial Day
        _nth_weekday(year, 9, 0, 1),    # Labor Day
        _nth_weekday(year, 10, 0, 2),   # Columbus Day
        _nth_weekday(year, 11, 3, 4),   # Thanksgiving Day
    }
    if year < MAXYEAR and date(year + 1, 1, 1).weekday() == 5:  # New Year's Day on a Saturday: Dec 31 observed
        days.add(date(year, 12, 31))
    return frozenset(days)


def is_working_day(d: date) -> bool:
    return d.weekday() < 5 and d not in federal_holidays(d.year)


def add_working_days(start: date, n: int) -> date:
    d = start
    while n > 0:
        d += timedelta(days=1)
        if is_working_day(d):
            n -= 1
    return d


def due_date(authority: str, received_on: date, *, agency_days: int, foia_days: int) -> date:
    try:
        if authority == "foia":
            return add_working_days(received_on, foia_days)
        return received_on + timedelta(days=agency_days)
    except OverflowError:
        raise BeyondCalendar(received_on.isoformat()) from None
