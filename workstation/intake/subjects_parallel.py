"""A large subjects CSV read and packed in a worker process while the caller stores the batches.

One spawned worker reads the file front to back (`subjects_csv`, `subjects_pack`: the very code of the
single-process path) and sends the packed batches through a pipe; it works one batch ahead of the caller and no
further (a pipe's send waits for the receiver), so memory stays bounded. An error travels as plain strings and
is raised here after the batches before it. Taxpayer values travel only through the pipe, never a file. The
worker dies with this process (Linux: PR_SET_PDEATHSIG), and is ended when the caller stops early.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from workstation.errors import InputError
from workstation.intake import csvfile, subjects_csv
from workstation.intake.subjects_pack import PackedSubjects, pack_columns
from workstation.processes import die_with_parent, gc_paused

PARALLEL_MIN_BYTES = 8 * 1024 * 1024            # ~40,000 subjects: below it, starting a worker costs more


def subject_batches(path: Path, size: int) -> Iterator[PackedSubjects]:
    """The subjects of the CSV at `path`, checked and packed in batches of about `size`: in a worker process for
    a large file (DWS_IMPORT_WORKERS=1 or DWS_IMPORT_PARALLEL_MIN_BYTES choose otherwise), else here."""
    if not _parallel(path):
        yield from packed_batches(path, size)
        return
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    worker = context.Process(target=_produce, args=(send, path, size), name="dws-subjects", daemon=True)
    worker.start()
    send.close()
    try:
        while True:
            try:
                message = receive.recv()
            except EOFError:
                raise InputError("could not be read (the reading process ended)", source=str(path)) from None
            if message[0] == "batch":
                yield message[1]
            elif message[0] == "error":
                raise InputError(message[1], source=message[2], where=message[3])
            else:
                return
    finally:
        receive.close()
        if worker.is_alive():
            worker.terminate()
        worker.join()


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


def _produce(send: Connection, path: Path, size: int) -> None:
    """In the worker: ("batch", PackedSubjects)..., then ("done",) or ("error", message, source, where)."""
    die_with_parent()
    message: tuple[Any, ...] = ("done",)
    try:
        with gc_paused():
            for batch in packed_batches(path, size):
                send.send(("batch", batch))
    except InputError as exc:
        message = ("error", exc.message, exc.source, exc.where)
    except Exception as exc:
        bad = csvfile.unexpected_error(exc, str(path))
        message = ("error", bad.message, bad.source, bad.where)
    try:
        send.send(message)
    except OSError:
        pass                                    # the caller stopped listening
    finally:
        send.close()
