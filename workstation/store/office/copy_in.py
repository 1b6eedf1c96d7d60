"""Rows into the office server through one `COPY ... FROM STDIN`, and nothing else of the desktop's with them.

psycopg ends a COPY that an exception interrupts with CopyFail carrying "error from Python: {type} - {exception}",
which the server logs (and may ship to its log collector): an exception raised while a row was made or written
(a parser's message, a formatting error quoting a value) would reach the server in clear. `copy_rows` stops the
COPY with a fixed text instead and re-raises the original exception on the desktop after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg import sql

STOPPED = "the desktop stopped this copy (its reason stays on the desktop)"


class CopyStopped(Exception):
    """What the server is told when a COPY is stopped: this fixed text, never the desktop's reason."""

    def __init__(self) -> None:
        super().__init__(STOPPED)


def copy_rows(conn: psycopg.Connection[Any], statement: sql.Composed | str, types: Sequence[str] | None,
              rows: Iterable[Sequence[Any]]) -> int:
    """Stream `rows` through one COPY FROM STDIN (`types`: the columns' types, for a binary COPY); how many. An
    exception raised while the rows are made or written is raised here as it was, after the server was told only
    STOPPED (the caller's transaction is then failed and is rolled back by its caller)."""
    failure: BaseException | None = None
    written = 0
    with conn.cursor() as cur:
        try:
            with cur.copy(statement) as copy:
                if types is not None:
                    copy.set_types(list(types))
                write = copy.write_row
                try:
                    for row in rows:
                        write(row)
                        written += 1
                except BaseException as exc:        # KeyboardInterrupt and a cancel too: their text stays here
                    failure = exc
                    raise CopyStopped from None
        except CopyStopped:
            if failure is None:
                raise
            raise failure from None
    return written
