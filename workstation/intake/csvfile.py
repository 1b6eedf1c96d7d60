"""Shared helpers for the CSV inputs: open as UTF-8 text, read and check the header, locate bad bytes.

Messages name the file, the line and the column, never a field's value: a CSV handed in may be full of
taxpayer data, so even an unknown header name is only echoed when it looks like a column name.
"""

from __future__ import annotations

import csv
import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from itertools import chain, count, islice
from pathlib import Path
from typing import TextIO

from workstation.errors import InputError, shown_name

MAX_LINE_CHARS = 64 * 1024          # one physical line; a longer one is refused, never read whole


def open_text(path: Path, source: str) -> TextIO:
    """Open a CSV as UTF-8 text (a BOM is allowed), with the csv module's newline handling."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError("file not found", source=source) from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or type(exc).__name__})", source=source) from None
    if stat.S_ISDIR(mode):
        raise InputError("is a folder, not a file", source=source)
    if not stat.S_ISREG(mode):
        raise InputError("is not a regular file", source=source)
    try:
        return open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or type(exc).__name__})", source=source) from None


def bounded_lines(f: TextIO) -> Iterator[str]:
    """The physical lines of `f`, each cut at MAX_LINE_CHARS (+ line end): a longer one has no newline."""
    return iter(partial(f.readline, MAX_LINE_CHARS + 2), "")


def checked_lines(lines: Iterator[str], source: str, first: int = 2) -> Iterator[str]:
    """`lines` (starting at line `first`), refusing a line longer than MAX_LINE_CHARS when it is reached.

    Checked a block of lines at a time (one `max` over their lengths), and iterated in C (`chain`): no Python
    frame per line. A block with a long line yields the lines before it, then raises naming it."""
    starts = count(first, _BLOCK)

    def checked(block: list[str]) -> Iterable[str]:
        start = next(starts)
        if max(map(len, block)) <= MAX_LINE_CHARS:
            return block
        pos = next((i for i, line in enumerate(block) if line_too_long(line)), None)
        if pos is None:
            return block
        error = InputError(f"line is longer than {MAX_LINE_CHARS:,} characters", source=source,
                           where=f"line {start + pos}")
        return chain(block[:pos], _raising(error))

    return chain.from_iterable(map(checked, iter(partial(_block, lines), [])))


_BLOCK = 1000


def _block(lines: Iterator[str]) -> list[str]:
    return list(islice(lines, _BLOCK))


def _raising(error: Exception) -> Iterator[str]:
    raise error
    yield ""                                    # pragma: no cover  (makes this a generator)


def line_too_long(line: str) -> bool:
    return len(line) > MAX_LINE_CHARS and not line.endswith(("\n", "\r"))


def read_header(lines: Iterator[str], expected: tuple[str, ...], source: str) -> dict[str, int]:
    """Parse line 1 as the header; every expected column present once, no others. Returns name -> index."""
    first = next(lines, "")
    if not first:
        raise InputError("is empty: the first line must be the header", source=source)
    if line_too_long(first):
        raise InputError(f"line is longer than {MAX_LINE_CHARS:,} characters", source=source, where="line 1")
    if "\x00" in first:
        raise InputError("contains a NUL character (not a text CSV file?)", source=source, where="line 1")
    try:
        names = [name.strip() for name in next(csv.reader([first], strict=True))]
    except (csv.Error, StopIteration):
        raise InputError("the header is not a valid CSV line", source=source, where="line 1") from None
    index: dict[str, int] = {}
    known = set(expected)
    if not known.intersection(names):
        raise InputError("the first line is not the header; expected the columns " + ",".join(expected),
                         source=source, where="line 1")
    for pos, name in enumerate(names, 1):
        if name in index:
            raise InputError(f"column {shown_name(name, 'column')} appears twice (column {pos})", source=source,
                             where="line 1")
        if name not in known:
            raise InputError(f"unknown column {shown_name(name, 'column')} (column {pos}); expected the columns "
                             + ",".join(expected), source=source, where="line 1")
        index[name] = pos - 1
    missing = [name for name in expected if name not in index]
    if missing:
        raise InputError(f"missing column{'s' * (len(missing) != 1)}: " + ", ".join(missing), source=source,
                         where="line 1")
    return index


def first_undecodable_line(path: Path) -> int | None:
    """The number of the first line that is not valid UTF-8 (error path only: rereads the file)."""
    try:
        with open(path, "rb") as raw:
            for number, data in enumerate(raw, 1):
                try:
                    data.decode("utf-8")
                except UnicodeDecodeError:
                    return number
    except OSError:
        return None
    return None


def decode_error(path: Path, source: str) -> InputError:
    line = first_undecodable_line(path)
    return InputError("is not UTF-8 text (save the file as UTF-8)", source=source,
                      where=f"line {line}" if line else None)


def unexpected_error(exc: BaseException, source: str, where: str | None = None) -> InputError:
    """One clear error for anything unforeseen; the exception's text is left out (it may quote a value)."""
    if isinstance(exc, RecursionError):
        return InputError("is nested too deeply", source=source, where=where)
    if isinstance(exc, MemoryError):
        return InputError("is too large to read", source=source, where=where)
    if isinstance(exc, csv.Error):
        return InputError("is not valid CSV (check the quoting)", source=source, where=where)
    return InputError(f"could not be read ({type(exc).__name__})", source=source, where=where)


@contextmanager
def read_errors(path: Path, source: str) -> Iterator[None]:
    """Inside: an InputError passes as it is, undecodable bytes name their line, anything else becomes one
    clear error without its text (see unexpected_error)."""
    try:
        yield
    except InputError:
        raise
    except UnicodeDecodeError:
        raise decode_error(path, source) from None
    except Exception as exc:
        raise unexpected_error(exc, source) from None


def csv_record(first: str, more: Iterable[str]) -> tuple[list[str], int]:
    """Parse one CSV record that starts with line `first` (with quotes), pulling continuation lines from
    `more`. Returns the fields and the number of physical lines used."""
    def source() -> Iterator[str]:
        yield first
        yield from more

    reader = csv.reader(source(), strict=True)
    fields = next(reader)
    return fields, reader.line_num
