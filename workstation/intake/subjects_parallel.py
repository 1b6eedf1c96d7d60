"""A large subjects CSV read and packed in a worker process while the caller stores the batches.

One worker process (`processes.worker_pool`) reads the file front to back (`subjects_csv`, `subjects_pack`: the
very code of the single-process path), one packed batch a task: the caller asks for the next batch before it
stores the one it has, so the worker is one batch ahead and no further, and memory stays bounded. An error
travels as plain strings and is raised here after the batches before it. Taxpayer values travel only through
the pool's pipes, never a file. The worker dies with this process, and is ended when the caller stops early.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workstation.errors import InputError
from workstation.intake import csvfile, subjects_csv
from workstation.intake.subjects_pack import PackedSubjects, pack_columns
from workstation.processes import gc_paused, worker_pool

PARALLEL_MIN_BYTES = 8 * 1024 * 1024            # ~40,000 subjects: below it, starting a worker costs more


def subject_batches(path: Path, size: int) -> Iterator[PackedSubjects]:
    """The subjects of the CSV at `path`, checked and packed in batches of about `size`: in a worker process for
    a large file (DWS_IMPORT_WORKERS=1 or DWS_IMPORT_PARALLEL_MIN_BYTES choose otherwise), else here."""
    if not _parallel(path):
        yield from packed_batches(path, size)
        return
    pool = worker_pool(1, "workstation.intake.subjects_parallel:_open", (path, size))
    try:
        future = pool.submit(_next)
        while True:
            try:
                message = future.result()
            except Exception as exc:                # the worker died (killed, out of memory)
                raise csvfile.unexpected_error(exc, str(path)) from None
            if message[0] == "error":
                raise InputError(message[1], source=message[2], where=message[3])
            if message[0] == "done":
                return
            future = pool.submit(_next)             # the worker reads on while this batch is stored
            yield message[1]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def packed_batches(path: Path, size: int) -> Iterator[PackedSubjects]:
    """The same in this process."""
    chunks: list[subjects_csv.SubjectColumns] = []
    rows = 0
    for chunk in subjects_csv.read_subject_chunks(path, str(path)):
        chunks.append(chunk)
        rows += len(chunk.ref)
        if rows >= size:
            yield pack_columns(chunks)
            chunks, rows = [], 0
    if rows:
        yield pack_columns(chunks)


def _parallel(path: Path) -> bool:
    try:
        workers = int(os.environ.get("DWS_IMPORT_WORKERS", "0"))
        threshold = int(os.environ.get("DWS_IMPORT_PARALLEL_MIN_BYTES", PARALLEL_MIN_BYTES))
    except ValueError:
        raise InputError("DWS_IMPORT_WORKERS and DWS_IMPORT_PARALLEL_MIN_BYTES must be whole numbers") from None
    try:
        size = path.stat().st_size
    except OSError:
        return False                            # the reader names the problem
    return workers != 1 and (os.cpu_count() or 1) > 1 and size >= threshold


class _Reading:
    """In the worker: the file being read and the batches still to send."""

    path: Path
    batches: Iterator[PackedSubjects]


def _open(path: Path, size: int) -> None:
    """In the worker (the pool's initializer): start reading."""
    _Reading.path, _Reading.batches = path, packed_batches(path, size)


def _next() -> tuple[Any, ...]:
    """In the worker: ("batch", PackedSubjects), ("done",) or ("error", message, source, where). The error
    travels as plain strings (an exception's own pickling could lose its fields)."""
    try:
        with gc_paused():
            return ("batch", next(_Reading.batches))
    except StopIteration:
        return ("done",)
    except InputError as exc:
        return ("error", exc.message, exc.source, exc.where)
    except Exception as exc:
        bad = csvfile.unexpected_error(exc, str(_Reading.path))
        return ("error", bad.message, bad.source, bad.where)
