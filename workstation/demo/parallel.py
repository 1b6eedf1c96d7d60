"""Ordered chunk production, in this process or in worker processes — the same bytes either way.

Large demo files (millions of rows) are produced chunk by chunk; chunk ``t`` depends only on ``t`` and the
job's configuration, so worker processes can produce chunks in parallel while the caller writes them in
order. Workers are plain ``python -m workstation.demo.worker`` subprocesses that stream length-prefixed
chunks on stdout: unlike ``multiprocessing`` this never re-imports the caller's ``__main__`` (which fails
for ``python -`` and unguarded scripts) and never forks a threaded process (the GUI). Worker ``k`` of ``W``
produces chunks k, k+W, k+2W, ...; the pipes' own buffers bound memory and pace the workers.
"""

from __future__ import annotations

import importlib
import json
import os
import struct
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from workstation.processes import die_with_parent

MAX_WORKERS = 4
_HEADER = struct.Struct(">QQ")           # chunk length, metadata length

ChunkFn = Callable[[int], tuple[bytes, dict[str, Any]]]
# job kind -> "module:function"; the function takes the job configuration and returns the chunk function
JOBS: dict[str, str] = {
    "records": "workstation.demo.taxpayers:records_job",
    "bulk": "workstation.demo.bulk:bulk_job",
}


def default_workers(items: int, threshold: int) -> int:
    """One process below ``threshold`` items; else one per CPU (at most MAX_WORKERS)."""
    if items < threshold:
        return 1
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def _job(kind: str, config: dict[str, Any]) -> ChunkFn:
    module, _, function = JOBS[kind].partition(":")
    make: Callable[[dict[str, Any]], ChunkFn] = getattr(importlib.import_module(module), function)
    return make(config)


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise RuntimeError("demo worker process ended early (see its error output above)")
    return data


def ordered_chunks(kind: str, config: dict[str, Any], tasks: int, *,
                   workers: int) -> Iterator[tuple[bytes, dict[str, Any]]]:
    """Chunks 0 .. tasks-1 of job ``kind``, in order, each as (bytes, metadata)."""
    workers = max(1, min(workers, tasks))
    if workers == 1:
        chunk = _job(kind, config)
        for task in range(tasks):
            yield chunk(task)
        return
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for k in range(workers):
            spec = json.dumps({"kind": kind, "config": config, "worker": k, "workers": workers, "tasks": tasks,
                               "parent": os.getpid()})
            procs.append(subprocess.Popen([sys.executable, "-m", "workstation.demo.worker", spec],
                                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env))
        for task in range(tasks):
            stream = procs[task % workers].stdout
            assert stream is not None
            size, meta_size = _HEADER.unpack(_read_exactly(stream, _HEADER.size))
            data = _read_exactly(stream, size)
            yield data, json.loads(_read_exactly(stream, meta_size))
        for proc in procs:
            if proc.wait() != 0:
                raise RuntimeError(f"demo worker process failed with exit status {proc.returncode}")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()


def worker_main(spec_json: str) -> None:
    """Produce this worker's chunks on stdout, each as header, data, metadata (run by worker.py)."""
    spec = json.loads(spec_json)
    die_with_parent(spec.get("parent"))        # a killed `dws demo` leaves no generator behind
    chunk = _job(spec["kind"], spec["config"])
    out = sys.stdout.buffer
    for task in range(spec["worker"], spec["tasks"], spec["workers"]):
        data, meta = chunk(task)
        meta_bytes = json.dumps(meta).encode("utf-8")
        out.write(_HEADER.pack(len(data), len(meta_bytes)))
        out.write(data)
        out.write(meta_bytes)
        out.flush()

