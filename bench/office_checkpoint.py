"""A checkpoint of a long office log (issue 19): the whole log re-read and re-hashed, as every checkpoint did before
the desktop kept its last verified state (service/office_log_cache.py), against the incremental one that reads only
the entries since (after --new new entries, default 10).

    .venv/bin/python bench/office_checkpoint.py [--entries N] [--new K] [--repeat R]

A cluster made for the run (workstation/office/cluster.py), on this machine, over its unix socket (a desktop reads
over TLS, which only adds to the full path's cost). The log gets --entries entries (default 200,000) through the
office's own append path (the server's append trigger checking every seq and previous hash) in one COPY, with a
valid hash chain made on the desktop. Then, R times each (default 5; the median printed):
  full          office_witness.sign_checkpoint with no cache: every entry read, the whole chain checked, the tree
                recomputed (what a checkpoint cost before)
  incremental   K entries appended through OfficeCtx.log, then office_witness.sign_checkpoint from the cache
Both must give the checkpoint a full recomputation gives (checked on the last one). "CPU s" is this process's;
"server CPU s" the server backend's (from /proc). Target: incremental <= 1/20 of full at 200,000 entries.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import common  # type: ignore[import-not-found]  # bench/common.py, beside this file
import office_server  # type: ignore[import-not-found]  # bench/office_server.py, beside this file
import psycopg

from workstation.canonical import canonical_json
from workstation.office import log_key
from workstation.office.sealing import OfficeKeys
from workstation.service import office_log_cache, office_session, office_witness
from workstation.service.office_records import OfficeCtx
from workstation.store.auditlog import entry_hash
from workstation.store.office import log
from workstation.store.office.roles import OfficeRoles

DBNAME = "bench"
ROLES = OfficeRoles("bench")
RATIO_TARGET = 20.0


def _server_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _fill(conn: psycopg.Connection[Any], n: int) -> float:
    """n valid entries through one COPY (the append trigger checks each); seconds."""
    t0 = time.perf_counter()
    rows = []
    prev = log.GENESIS
    for seq in range(1, n + 1):
        ts, detail = f"2026-12-06T05:{seq % 60:02d}:00Z", canonical_json({"n": seq}).decode()
        h = entry_hash(prev, seq, ts, "bench", "bench-entry", None, detail)
        rows.append((seq, ts, "bench", "bench-entry", None, detail, prev, h))
        prev = h
    with conn.transaction():
        log.lock(conn)
        log.copy_entries(conn, rows)
    return time.perf_counter() - t0


def _measure(o: OfficeCtx) -> tuple[float, float, float, Any]:
    pid = o.conn.info.backend_pid
    s0, c0, t0 = _server_cpu(pid), common.cpu_seconds(), time.perf_counter()
    info = office_witness.sign_checkpoint(o)
    return time.perf_counter() - t0, common.cpu_seconds() - c0, _server_cpu(pid) - s0, info


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--entries", type=int, default=200_000)
    p.add_argument("--new", type=int, default=10)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    home = Path(tempfile.mkdtemp(prefix="dws-bench-ckpt-"))
    os.environ["XDG_DATA_HOME"] = str(home / "data")     # the cache: never the user's own data folder
    try:
        with office_server.office_server("dws-bench-ckpt-pg-", DBNAME, ROLES) as (cluster, port), \
                psycopg.connect(cluster.conninfo(port, DBNAME), autocommit=True) as conn:
            fill_s = _fill(conn, args.entries)
            office_key = secrets.token_bytes(32)
            o = OfficeCtx(conn, OfficeKeys.derive(office_key), "bench", log_key.checkpoint_key(office_key))
            cache = office_log_cache.path(office_witness.log_id(o))
            full, inc = [], []
            for _ in range(args.repeat):
                cache.unlink(missing_ok=True)
                full.append(_measure(o))
                with conn.transaction():
                    for i in range(args.new):
                        o.log("bench-entry", None, {"new": i})
                assert office_witness.tree_head(o).incremental
                with conn.transaction():
                    for i in range(args.new):
                        o.log("bench-entry", None, {"new": i})
                inc.append(_measure(o))
            size = len(office_session.log_rows(o))
            whole = office_witness.signed(o, office_session.log_rows(o))[0]
            same = inc[-1][3].note == whole.note and inc[-1][3].size == size
    finally:
        shutil.rmtree(home, ignore_errors=True)
    f_wall, f_cpu, f_srv = (statistics.median(m[i] for m in full) for i in range(3))
    i_wall, i_cpu, i_srv = (statistics.median(m[i] for m in inc) for i in range(3))
    ratio, cpu_ratio = f_wall / i_wall, f_cpu / i_cpu
    print(f"office log checkpoint: {args.entries:,} entries (filled in {fill_s:.1f} s), {args.new} new each time, "
          f"median of {args.repeat}; {common.machine()['uptime']}")
    print(f"  {'path':<12} {'wall ms':>10} {'CPU ms':>10} {'server CPU ms':>14}")
    print(f"  {'full':<12} {f_wall * 1000:>10.1f} {f_cpu * 1000:>10.1f} {f_srv * 1000:>14.1f}")
    print(f"  {'incremental':<12} {i_wall * 1000:>10.1f} {i_cpu * 1000:>10.1f} {i_srv * 1000:>14.1f}")
    ok = ratio >= RATIO_TARGET and same
    print(f"  full / incremental: {ratio:,.0f}x wall, {cpu_ratio:,.0f}x CPU (target >= {RATIO_TARGET:.0f}x): "
          f"{'PASS' if ok else 'FAIL'}; the incremental checkpoint equals the full one: {same}")
    common.json_line("office_checkpoint", {
        "entries": args.entries, "new": args.new, "repeat": args.repeat, "fill_s": round(fill_s, 2),
        "full": {"wall_ms": round(f_wall * 1000, 2), "cpu_ms": round(f_cpu * 1000, 2),
                 "server_cpu_ms": round(f_srv * 1000, 2)},
        "incremental": {"wall_ms": round(i_wall * 1000, 2), "cpu_ms": round(i_cpu * 1000, 2),
                        "server_cpu_ms": round(i_srv * 1000, 2)},
        "ratio_wall": round(ratio, 1), "ratio_cpu": round(cpu_ratio, 1), "same_checkpoint": same,
        "code": common.code_version()})
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
