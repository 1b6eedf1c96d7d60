"""The days .ci/run replays the suite on under faketime: one year on, five years on, and the next leap day
after the first of them (RULES.md's dates, FOIA's working days, the demo and the tests must hold on each).

Which tests run on which day (`make test-dates`; FULL=1 replays every test on every day): the files in
EVERY_DAY, whose subject is a date, run on all three; every other test file runs on one of the three, dealt out
in turn by its name (sorted) and by today's date, so a file meets each day within three days of CI and the
three replays together cost one suite, not three (CI's 30 minutes: the suite took 7 of them in December 2026).
The share is DWS_DATES_SHARE=INDEX/COUNT/SEED, which the Makefile sets outside faketime: SEED is the real day's
ordinal, the same for the three replays of one run, so together they cover every file once.
"""

from __future__ import annotations

import calendar
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

SHARE_ENV = "DWS_DATES_SHARE"

# Test files replayed on every day: each is about a date the product computes or checks.
EVERY_DAY = frozenset({
    "test_time.py",                 # the tests' day, the office's calendar, FOIA's working days, a year's end
    "test_rules_request.py",        # RULES.md's dates: consents, court orders, periods, the statute's windows
    "test_rules_subject.py",
    "test_rules_scope.py",
    "test_checks_subject.py",
    "test_evaluate_demo.py",        # the demo tells the same story on any day (issue 11)
    "test_demo_files.py",
    "test_evaluate_golden.py",      # a fixed as-of day against the clock's
    "test_replay_2025.py",
    "test_cli_queue.py",            # deadlines and overdue requests in the queue
    "test_gui_queue.py",
    "test_engine_imports.py",       # a request's deadline in working days, on both engines
    "test_hostile_names.py",        # names that are dates of the tests' year
    "test_office_ca.py",            # certificates' validity: the office CA, desktops, the server
    "test_office_connect_pg.py",
    "test_office_tls_pg.py",
    "test_letters_content.py",      # the dates a letter prints, its signing time
    "test_letters_pades.py",
    "test_engine_signing.py",
})


def shifted(day: date, years: int) -> date:
    year = day.year + years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def days(today: date) -> list[date]:
    one, five = shifted(today, 1), shifted(today, 5)
    leap = next(date(y, 2, 29) for y in range(one.year, one.year + 8) if calendar.isleap(y) and date(y, 2, 29) > one)
    return [one, five, leap]


@dataclass(frozen=True)
class Share:
    index: int
    count: int
    seed: int

    @classmethod
    def from_env(cls) -> Share | None:
        """The share in force (DWS_DATES_SHARE), or None: every test runs."""
        text = os.environ.get(SHARE_ENV, "").strip()
        if not text:
            return None
        index, count, seed = (int(part) for part in text.split("/"))
        if not 0 <= index < count:
            raise ValueError(f"{SHARE_ENV}={text}: the index must be below the count")
        return cls(index, count, seed)

    def files(self, names: Iterable[str]) -> set[str]:
        """Of the test files `names`, those this share runs: EVERY_DAY's, and one in `count` of the others."""
        given = set(names)
        others = sorted(given - EVERY_DAY)
        return (given & EVERY_DAY) | {n for i, n in enumerate(others)
                                           if (i + self.seed) % self.count == self.index}


if __name__ == "__main__":
    print(" ".join(d.isoformat() for d in days(date.today())))
