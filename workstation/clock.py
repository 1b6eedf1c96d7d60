"""The product's one clock: every "today" and "now" of the service, the CLI and the GUI comes from here.

``current()`` is the clock in force for this process. It is the system clock unless the composition root
(``dws``, the desktop application, a test) puts another in force with ``use()``. ``DWS_TODAY=YYYY-MM-DD``
makes the CLI and the application run as if that were the office's date (time keeps running from there):
for rehearsals, training and tests. Evaluations record the date they were made for (``as_of``), so nothing
judged under a shifted clock passes for a judgment of another day.

"Today" is the office's date: the local date in the machine's time zone (``TZ``), which is what a letter
carries and what "overdue" means; timestamps in the store are UTC.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time

ENV_TODAY = "DWS_TODAY"


class Clock:
    """The system clock."""

    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        return datetime.now(UTC)

    def timestamp(self) -> float:
        """Seconds since the epoch (for the lockout's windows)."""
        return self.now().timestamp()

    def stamp(self) -> str:
        """UTC timestamp with milliseconds, e.g. 2026-11-25T13:45:01.123Z."""
        return self.now().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    def today(self) -> date:
        """The office's date: the local date of ``now()``."""
        return self.now().astimezone().date()

    def describe(self) -> str:
        return "system clock"


class ShiftedClock(Clock):
    """The system clock moved so that it is noon of ``day`` in the office now; time keeps running from there
    (so a run that lasts less than twelve hours stays on ``day``, whenever it starts)."""

    def __init__(self, day: date) -> None:
        self.day = day
        self._offset = datetime.combine(day, time(12)).astimezone() - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def describe(self) -> str:
        return f"clock set to {self.day.isoformat()} ({ENV_TODAY})"


class FixedClock(Clock):
    """A clock that stands still at ``instant`` (tests)."""

    def __init__(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware instant")
        self.instant = instant.astimezone(UTC)

    def now(self) -> datetime:
        return self.instant

    def describe(self) -> str:
        return f"clock fixed at {self.stamp()}"


SYSTEM = Clock()
_current: Clock = SYSTEM


def current() -> Clock:
    return _current


def today() -> date:
    return _current.today()


def utc_stamp() -> str:
    return _current.stamp()


@contextmanager
def use(clock: Clock) -> Iterator[Clock]:
    """Put ``clock`` in force for the duration of the block (the composition root, or a test)."""
    global _current
    before = _current
    _current = clock
    try:
        yield clock
    finally:
        _current = before


def from_environment(environ: dict[str, str] | None = None) -> Clock:
    """The clock ``DWS_TODAY`` asks for, else the system clock. A malformed value is an error (ValueError)."""
    text = (os.environ if environ is None else environ).get(ENV_TODAY, "").strip()
    if not text:
        return SYSTEM
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{ENV_TODAY}: {text!r} is not a date (YYYY-MM-DD)") from None
    return ShiftedClock(day)


def local_date(stamp: str) -> date:
    """The office's date of a stored UTC timestamp ('2026-12-31T23:30:00.000Z' is Dec 31 or Jan 1)."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone().date()


def year_bounds(year: int) -> tuple[str, str]:
    """[start, end) of the office's calendar year ``year`` as UTC timestamps, for comparing stored ones."""
    def start(y: int) -> str:
        return datetime(y, 1, 1).astimezone().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    return start(year), start(year + 1)
