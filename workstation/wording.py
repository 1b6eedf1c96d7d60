"""Words for numbers, the same in the CLI, the GUI and every message: counts with their noun in the singular or
the plural ("1 character", "2 characters"), and every quantity with thousands separators ("65,536"). Line
numbers, years, ids and sequence numbers are names, not quantities: they are written without separators."""

from __future__ import annotations

from collections.abc import Sequence


def number(n: int) -> str:
    """A quantity: 1,280,000."""
    return f"{n:,}"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and its noun: "1 subject", "1,280,000 subjects", "0 entries" (plural given: "entry", "entries")."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def listing(words: Sequence[str], conjunction: str = "and") -> str:
    """"a", "a and b", "a, b and c"."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def checkpoints_given(n: int) -> str:
    """What `verify --against` found the log extends: "the checkpoint given", "all 3 checkpoints given"."""
    return "the checkpoint given" if n == 1 else f"all {n:,} checkpoints given"


def days_left(days: int | None, overdue: str = "overdue") -> str:
    """A due date's distance from today, as the queue shows it: "12 days", "1 day", "due today", "overdue 3
    days"; "" when there is none (no due date, or the decision is final)."""
    if days is None:
        return ""
    if days == 0:
        return "due today"
    return count(days, "day") if days > 0 else f"{overdue} {count(-days, 'day')}"
