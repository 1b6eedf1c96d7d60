"""Due dates as the queue shows them, one rule for the CLI (`dws list`) and the GUI's queue: a request is overdue
from the day after its due date until its decision is final; "today" is the one clock's (workstation/clock.py)."""

from __future__ import annotations

from datetime import date

from ..model import QueueRow

# Statuses in which the decision is final: nothing is due any more (decided: final without an approval).
CLOSED_STATUSES = frozenset({"decided", "approved"})


def days_left(row: QueueRow, today: date) -> int | None:
    """Days from `today` to the due date (negative: overdue), or None when nothing is due (no due date, or the
    decision is final)."""
    if not row.due_on or row.status in CLOSED_STATUSES:
        return None
    try:
        due = date.fromisoformat(row.due_on)
    except ValueError:
        return None
    return (due - today).days


def is_overdue(row: QueueRow, today: date) -> bool:
    left = days_left(row, today)
    return left is not None and left < 0
