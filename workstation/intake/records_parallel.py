"""A large taxpayer-records CSV parsed in worker processes while the caller stores the rows.

For a load into an empty table (the bulk path of `service.records_load.copy_records`). This process reads the file
a few megabytes at a time (`f.read`, no call a line) and hands blocks of whole records (cut after a line end,
never inside a quoted field) to spawned workers as one string each; a worker splits its block into the lines
the line-by-line reader would have read (a block with a line longer than the limit or a lone carriage return
goes as those very lines, read here) and runs the very parser of `records_csv` on them. The rows come back in
file order, so the first bad line of the file is the one reported, with its own line number. A TIN and year
given twice inside a block is refused by the worker; across blocks, by the unique index the caller builds
afterwards (`records_csv.duplicate_error`).

Memory stays bounded: at most WINDOW blocks are in flight. Taxpayer values travel only through pipes between
the processes, never through a file. A worker dies with this process (Linux: PR_SET_PDEATHSIG), so a killed
import leaves no orphan behind.
"""

from __future__ import annotations

import io
import os
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from itertools import islice, repeat
from operator import add
from pathlib import Path
from typing import Any, TextIO

from workstation.errors import InputError
from workstation.intake import csvfile
from workstation.intake.records_csv import current_year, header_order, parse_lines, read_packed, read_records
from workstation.intake.records_pack import PackedRows
from workstation.processes import worker_pool

BLOCK_LINES = 20_000
_LINE_CHARS = 150                           # a typical line: a block is read as BLOCK_LINES * _LINE_CHARS characters
PARALLEL_MIN_BYTES = 32 * 1024 * 1024       # ~200,000 rows: below it, spawning workers costs more than it saves
MAX_WORKERS = 2


def read_records_bulk(path: Path) -> Iterator[list[tuple[Any, ...]]]:
    """The typed rows of `path` in batches, parsed on every core for a large file; no duplicate check across
    blocks (the caller's unique index does it). DWS_IMPORT_WORKERS (1 = in this process) and
    DWS_IMPORT_PARALLEL_MIN_BYTES let an administrator — and the tests — choose."""
    workers = _workers(path)
    if workers <= 1:
        yield from read_records(path, check_duplicates=False)
    else:
        yield from _bulk(path, workers, packed=False)


def read_packed_bulk(path: Path) -> Generator[PackedRows, None, None]:
    """`read_records_bulk`, each batch packed for the store (what the import stores)."""
    workers = _workers(path)
    if workers <= 1:
        yield from read_packed(path, check_duplicates=False)
    else:
        yield from _bulk(path, workers, packed=True)


@dataclass(frozen=True)
class Then:
    """More work on each packed batch, done by the worker that parsed it, so that it too runs on every core (the
    office store seals its rows there: office/records_seal.py). `ahead(most)` runs in this process as a block is
    handed out (`most`: the most rows the block can hold), between two batches of the caller's; what it gives
    travels with the block, and the worker's result is `run(batch, given)`: `run` must be a module-level function
    (sent to the worker by name), and its result and `given` plain data."""

    ahead: Callable[[int], Any]
    run: Callable[[PackedRows, Any], Any]


def read_packed_bulk_then(path: Path, then: Then) -> Generator[Any, None, None]:
    """`then.run` of each batch of `read_packed_bulk`, in file order (in this process for a small file)."""
    workers = _workers(path)
    if workers <= 1:
        for batch in read_packed(path, check_duplicates=False):
            yield then.run(batch, then.ahead(batch.count))
    else:
        yield from _bulk(path, workers, packed=True, then=then)


def _bulk(path: Path, workers: int, *, packed: bool, then: Then | None = None) -> Iterator[Any]:
    source = str(path)
    max_year = current_year()                   # the workers have no clock: they are handed this one's year
    with csvfile.open_text(path, source) as f, csvfile.read_errors(path, source):
        order = header_order(csvfile.bounded_lines(f), source)
        yield from _parsed(path, _text_blocks(f), order, workers, packed, max_year, then)


def _workers(path: Path) -> int:
    try:
        workers = int(os.environ.get("DWS_IMPORT_WORKERS", "0")) or min(os.cpu_count() or 1, MAX_WORKERS)
        threshold = int(os.environ.get("DWS_IMPORT_PARALLEL_MIN_BYTES", PARALLEL_MIN_BYTES))
    except ValueError:
        raise InputError("DWS_IMPORT_WORKERS and DWS_IMPORT_PARALLEL_MIN_BYTES must be whole numbers") from None
    try:
        size = path.stat().st_size
    except OSError:
        return 1                                # open_text names the problem
    return max(1, workers) if size >= threshold else 1


def _text_blocks(f: TextIO) -> Iterator[tuple[int, str | list[str]]]:
    """(first line number, block) after the header: a block is the text of whole records, or — when a line of it
    is longer than the limit or ends with a lone carriage return — its lines as the bounded line reader gives
    them (those lines and their count are then exactly the line-by-line reader's)."""
    number, carry, size = 2, "", BLOCK_LINES * _LINE_CHARS
    limit = max(4 * size, _RECORD_MAX)
    while True:
        more = f.read(size)
        text = carry + more
        if not text:
            return
        cut = _cut(text) if more else len(text)
        if not cut and len(text) <= limit:
            carry = text                        # no whole record yet: read on
            continue
        cut = cut or len(text)                  # no record is this long: the parser refuses what it holds
        block, carry = text[:cut], text[cut:]
        parts = block.split("\n")
        if max(map(len, parts)) > csvfile.MAX_LINE_CHARS or ("\r" in block and _lone_return(block)):
            lines = list(csvfile.bounded_lines(io.StringIO(block, newline="")))
            yield number, lines
            number += len(lines)
        else:
            yield number, block
            number += len(parts) - (not parts[-1])


_RECORD_MAX = 8 * 1024 * 1024               # characters: past 20 fields of the csv module's field size limit


def _lone_return(block: str) -> bool:
    return block.count("\r") != block.count("\r\n")


def _cut(text: str) -> int:
    """Where the last whole record of `text` ends: just after a line end with an even number of quote
    characters before it (not inside a quoted field); 0 when there is none."""
    end = _line_end(text, len(text))
    odd = text.count('"', 0, end) % 2 if '"' in text else 0
    while odd and end:
        start = _line_end(text, end - 1)
        odd ^= text.count('"', start, end) % 2
        end = start
    return end


def _line_end(text: str, stop: int) -> int:
    """Just after the last line end that starts before `stop`: a "\n", or a "\r" that a character other than
    "\n" follows (a "\r" last in the text may be the first half of a "\r\n"); 0 when there is none."""
    newline = text.rfind("\n", 0, stop)
    ret = text.rfind("\r", newline + 1, stop)
    while ret > newline:
        if ret + 1 < len(text) and text[ret + 1] != "\n":
            return ret + 1
        ret = text.rfind("\r", newline + 1, ret)
    return newline + 1


def _lines(block: str) -> list[str]:
    """The lines of a block's text, each with its line end (the last one may have none)."""
    parts = block.split("\n")
    lines = list(map(add, islice(parts, len(parts) - 1), repeat("\n")))
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _parsed(path: Path, blocks: Iterator[tuple[int, str | list[str]]], order: list[int], workers: int, packed: bool,
            max_year: int, then: Then | None) -> Iterator[Any]:
    window = workers * 2
    pool = worker_pool(workers)
    pending: deque[Future[Any]] = deque()
    try:
        for first, block in blocks:
            step = None if then is None else (then.run, then.ahead(_most_rows(block)))
            pending.append(pool.submit(_parse_block, block, order, first, path, packed, max_year, step))
            if len(pending) >= window:
                yield _result(pending.popleft())
        while pending:
            yield _result(pending.popleft())
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def _result(future: Future[Any]) -> Any:
    outcome = future.result()
    if outcome[0] == "error":
        raise InputError(outcome[1], source=outcome[2], where=outcome[3])
    return outcome[1]


def _most_rows(block: str | list[str]) -> int:
    return block.count("\n") + 1 if isinstance(block, str) else len(block)


def _parse_block(block: str | list[str], order: list[int], first: int, path: Path, packed: bool, max_year: int,
                 step: tuple[Callable[[PackedRows, Any], Any], Any] | None = None) -> tuple[Any, ...]:
    """In a worker: ("rows", rows or PackedRows, or what `step` made of them: Then) or ("error", message, source,
    where). The error travels as plain strings (an exception's own pickling could lose its fields); it names a
    line and a column, never a value."""
    try:
        lines = _lines(block) if isinstance(block, str) else block
        parsed = parse_lines(lines, order, first, path, packed=packed, max_year=max_year)
        if step is not None:
            run, given = step
            return ("rows", run(parsed, given))     # type: ignore[arg-type]  # packed: PackedRows
        return ("rows", parsed)
    except InputError as exc:
        return ("error", exc.message, exc.source, exc.where)
    except Exception as exc:
        bad = csvfile.unexpected_error(exc, str(path))
        return ("error", bad.message, bad.source, bad.where)
