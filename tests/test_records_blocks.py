"""The worker processes' blocks (records_parallel: the file read a few megabytes at a time, cut after a line end
outside quotes, split into lines by the worker) give the line-by-line reader's rows, or its error naming the
same line: around line ends of every kind, lines at and over the length limit, quoted fields over several
lines across block ends, and a last line without its end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_intake_records import HEADER, swap

from workstation.errors import InputError
from workstation.intake import read_records, records_parallel
from workstation.intake.csvfile import MAX_LINE_CHARS


def rows(count: int, first: int = 1950) -> list[str]:
    return [swap("tax_year", str(first + i)) for i in range(count)]


def long_row(year: int, length: int) -> str:
    """A good row exactly `length` characters long (its employer padded)."""
    row = swap("tax_year", str(year), swap("employer", ""))
    return swap("tax_year", str(year), swap("employer", "x" * (length - len(row))))


CASES: dict[str, tuple[list[str], str]] = {
    "lf": (rows(30), "\n"),
    "crlf": (rows(30), "\r\n"),
    "cr": (rows(30), "\r"),
    "mixed ends": (rows(30), "\n"),                                 # some lines end \r\n below
    "quoted over lines": (rows(30), "\n"),                          # refused (a line feed in a field): line 8
    "at the limit": ([*rows(10), long_row(1990, MAX_LINE_CHARS), *rows(5, 2000)], "\n"),
    "one over, lf": ([*rows(10), long_row(1990, MAX_LINE_CHARS + 1), *rows(1, 2000)], "\n"),
    "one over, crlf": ([*rows(10), long_row(1990, MAX_LINE_CHARS + 1), swap("refund", "x", *rows(1, 2000))],
                       "\r\n"),
    "far over": ([*rows(10), long_row(1990, MAX_LINE_CHARS + 50), *rows(3, 2000)], "\n"),
    "bad after blank lines": ([*rows(12), "", "", swap("agi", "1.5", *rows(1, 2000))], "\n"),
    "unterminated quote": ([*rows(12), swap("employer", '"Acme', *rows(1, 2000)), *rows(2, 2001)], "\n"),
}


def write(tmp_path: Path, name: str) -> Path:
    lines, end = CASES[name]
    lines = list(lines)
    if name == "mixed ends":
        lines = [line + ("\r" if i % 3 == 0 else "") for i, line in enumerate(lines)]
    if name == "quoted over lines":
        for at in (6, 7, 13, 20):
            lines[at] = swap("employer", f'"Smith, Jones\n& Co {at}\n"', lines[at])
    text = end.join([HEADER, *lines])                                # no end after the last line
    path = tmp_path / f"{name.replace(' ', '-').replace(',', '')}.csv"
    path.write_bytes(text.encode("utf-8"))
    return path


def outcome(read: Any, path: Path) -> list[tuple[Any, ...]] | tuple[str | None, str]:
    try:
        return [row for batch in read(path) for row in batch]
    except InputError as err:
        return err.where, err.message


@pytest.mark.parametrize("name", list(CASES))
def test_the_workers_blocks_read_as_the_line_by_line_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           name: str) -> None:
    monkeypatch.setenv("DWS_IMPORT_WORKERS", "2")
    monkeypatch.setenv("DWS_IMPORT_PARALLEL_MIN_BYTES", "0")
    monkeypatch.setattr(records_parallel, "BLOCK_LINES", 4)        # blocks of ~600 characters
    path = write(tmp_path, name)
    serial = outcome(lambda p: read_records(p, check_duplicates=False), path)
    assert outcome(records_parallel.read_records_bulk, path) == serial
    if name in ("lf", "crlf", "cr", "mixed ends", "at the limit", "one over, lf"):
        assert isinstance(serial, list) and len(serial) >= 12
    else:
        assert isinstance(serial, tuple), serial


def test_a_block_is_cut_after_a_line_end_outside_quotes() -> None:
    text = 'a,1\nb,"x\ny"\nc,2\n'
    assert records_parallel._cut(text) == len(text)
    assert records_parallel._cut(text[:-4]) == len('a,1\nb,"x\ny"\n')
    assert records_parallel._cut('b,"x\ny,') == 0 and records_parallel._cut("no end") == 0
    assert records_parallel._lines("a\r\nb\n\nc") == ["a\r\n", "b\n", "\n", "c"]
