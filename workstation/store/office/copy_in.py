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
# PostgreSQL's binary COPY format: the signature, no flags, no header extension; then the rows (per row the number of
# fields as int16, then per field its length as int32 and its bytes, or -1 for NULL); then -1 as int16
BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
BINARY_TRAILER = b"\xff\xff"
BINARY_NULL = b"\xff\xff\xff\xff"


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


def copy_binary(conn: psycopg.Connection[Any], statement: sql.Composed | str, rows: bytes) -> None:
    """One binary COPY FROM STDIN of `rows` already laid out in the binary format (without the signature and the
    trailer, which this adds): a bulk path lays its rows out itself, several times cheaper than psycopg's dumpers
    a value at a time. Nothing of the desktop's is made during the COPY, so nothing can interrupt it but the
    server."""
    with conn.cursor() as cur, cur.copy(statement) as copy:
        copy.write(BINARY_SIGNATURE)
        copy.write(rows)
        copy.write(BINARY_TRAILER)
