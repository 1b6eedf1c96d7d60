"""The office log under many writers (issue 19, item 7: 8 concurrent writers append >= 500 log entries/s), a phase
of bench/office.py.

Eight processes, each with its own connection to the office database (as a desktop has), append entries to the
office log for a fixed time, one entry per transaction, as an office operation does (service/office_records.py's
OfficeCtx.log: the log's advisory lock, the head read, the entry hashed on the desktop, the server's append trigger
checking seq and prev_hash). After the run the log is checked: one order (seq 1..n, each entry chained to the one
before) and as many entries as the writers counted.
"""

from __future__ import annotations

import multiprocessing
import resource
import secrets
import time
from typing import Any

import psycopg

from workstation.office.sealing import OfficeKeys
from workstation.service.office_records import OfficeCtx
from workstation.store.office import log

WRITERS = 8
TARGET = 500


def _writer(conninfo: str, name: str, seconds: float, start: Any, counts: Any, spent: Any, index: int) -> None:
    keys = OfficeKeys.derive(secrets.token_bytes(32))
    with psycopg.connect(conninfo) as conn:
        ctx = OfficeCtx(conn, keys, name)
        n = 0
        start.wait()
        t0 = time.monotonic()
        deadline = t0 + seconds
        while time.monotonic() < deadline:
            with conn.transaction():
                ctx.log("bench-entry", None, {"n": n, "writer": index})
            n += 1
        spent[index] = time.monotonic() - t0
    counts[index] = n


def writers(conninfo: str, seconds: float, n_writers: int = WRITERS) -> dict[str, Any]:
    """The phase: `n_writers` processes appending for `seconds`; entries, seconds (from the common start to the
    last writer's last commit), CPU (the writers' own, from getrusage)."""
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(n_writers + 1)
    counts, spent = ctx.Array("q", n_writers), ctx.Array("d", n_writers)
    with psycopg.connect(conninfo) as conn:
        before = len(log.entries(conn))
    procs = [ctx.Process(target=_writer, args=(conninfo, f"writer{i}", seconds, start, counts, spent, i))
             for i in range(n_writers)]
    for p in procs:
        p.start()
    start.wait()
    for p in procs:
        p.join()
    wall = max(spent)             # from the start they all waited for to the last writer's last commit
    if any(p.exitcode for p in procs):
        raise RuntimeError("a writer failed: " + ", ".join(str(p.exitcode) for p in procs))
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    with psycopg.connect(conninfo) as conn:
        rows = log.entries(conn)
    appended = len(rows) - before
    ordered = ([r[0] for r in rows] == list(range(1, len(rows) + 1))
               and [r[6] for r in rows] == [log.GENESIS, *(r[7] for r in rows[:-1])])
    return {"rows": appended, "seconds": round(wall, 3), "cpu_s": round(cpu.ru_utime + cpu.ru_stime, 2),
            "per_writer": list(counts), "one_order": ordered, "counted": sum(counts) == appended}
