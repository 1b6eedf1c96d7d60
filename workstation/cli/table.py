"""Plain-text tables for the CLI: each column as wide as its widest cell (up to its limit), and a value cut to fit
ends in an ellipsis, so that a cut is never mistaken for the whole value."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

ELLIPSIS = "…"


@dataclass(frozen=True)
class Column:
    header: str
    limit: int | None = None        # the widest a cell may be; longer values are cut with an ellipsis
    right: bool = False             # numbers: aligned right


def cut(text: str, width: int) -> str:
    """`text` in at most `width` characters: cut, with an ellipsis as its last, when longer."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + ELLIPSIS


def render(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> list[str]:
    """The header line and one line per row (trailing blanks removed)."""
    cells = [[cut(value, c.limit) if c.limit else value for c, value in zip(columns, row, strict=True)]
             for row in rows]
    widths = [max([len(c.header), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        return " ".join(v.rjust(w) if c.right else v.ljust(w)
                        for c, v, w in zip(columns, values, widths, strict=True)).rstrip()

    return [line([c.header for c in columns]), *(line(r) for r in cells)]
