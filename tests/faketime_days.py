"""The days .ci/run replays the suite on under faketime: one year on, five years on, and the next leap day
after the first of them (RULES.md's dates, FOIA's working days, the demo and the tests must hold on each)."""

from __future__ import annotations

import calendar
from datetime import date


def shifted(day: date, years: int) -> date:
    year = day.year + years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def days(today: date) -> list[date]:
    one, five = shifted(today, 1), shifted(today, 5)
    leap = next(date(y, 2, 29) for y in range(one.year, one.year + 8) if calendar.isleap(y) and date(y, 2, 29) > one)
    return [one, five, leap]


if __name__ == "__main__":
    print(" ".join(d.isoformat() for d in days(date.today())))
