"""A large taxpayer-records CSV parsed in worker processes while the caller stores the rows.

For a load into an empty table (the bulk path of `service.records_load.copy_records`). This process reads the file
line by line and hands blocks of whole records (never cut inside a quoted field) to spawned workers, which run
the very parser of `records_csv` on them; their rows come back in file order, so the first bad line of the file
is the one reported, with its own line number. A TIN and year given twice inside a block is refused by the
worker; across blocks, by the unique index the caller builds afterwards (`records_csv.duplicate_error`).

Memory stays bounded: at most WINDOW blocks are in flight. Taxpayer values travel only through pipes between
the processes, never through a file. A worker dies with this process (Linux: PR_SET_PDEATHSIG), so a killed
import leaves no orphan behind.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice, repeat
from pathlib import Path
from typing import Any

from workstation.errors import InputError
from workstation.intake import csvfile
from workstation.intake.records_csv import PackedRows, header_order, parse_lines, read_packed, read_records
from workstation.processes import die_with_parent

BLOCK_LINES = 20_000
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


def read_packed_bulk(path: Path) -> Iterator[PackedRows]:
    """`read_records_bulk`, each batch packed for the store (what the import stores)."""
    workers = _workers(path)
    if workers <= 1:
        yield from read_packed(path, check_duplicates=False)
    else:
        yield from _bulk(path, workers, packed=True)


def _bulk(path: Path, workers: int, *, packed: bool) -> Iterator[Any]:
    source = str(path)
    with csvfile.open_text(path, source) as f, csvfile.read_errors(path, source):
        lines = csvfile.bounded_lines(f)
        order = header_order(lines, source)
        yield from _parsed(path, _blocks(lines), order, workers, packed)


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


def _blocks(lines: Iterator[str]) -> Iterator[tuple[int, list[str]]]:
    """(first line number, lines) of whole records: a block that ends inside a quoted field (an odd number of
    quote characters so far) takes more lines until the field closes or the file ends."""
    number = 2
    while block := list(islice(lines, BLOCK_LINES)):
        quotes = sum(map(str.count, block, repeat('"')))
        while quotes % 2:
            line = next(lines, None)
            if line is None:
                break
            block.append(line)
            quotes += line.count('"')
        yield number, block
        number += len(block)


def _parsed(path: Path, blocks: Iterator[tuple[int, list[str]]], order: list[int], workers: int, packed: bool
            ) -> Iterator[Any]:
    window = workers * 2
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=die_with_parent)
    pending: deque[Future[Any]] = deque()
    try:
        for first, block in blocks:
            pending.append(pool.submit(_parse_block, block, order, first, path, packed))
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


def _parse_block(lines: list[str], order: list[int], first: int, path: Path, packed: bool) -> tuple[Any, ...]:
    """In a worker: ("rows", rows or PackedRows) or ("error", message, source, where). The error travels as plain
    strings (an exception's own pickling could lose its fields); it names a line and a column, never a value."""
    try:
        return ("rows", parse_lines(lines, order, first, path, packed=packed))
    except InputError as exc:
        return ("error", exc.message, exc.source, exc.where)
    except Exception as exc:
        bad = csvfile.unexpected_error(exc, str(path))
        return ("error", bad.message, bad.source, bad.where)
