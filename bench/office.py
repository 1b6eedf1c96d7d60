"""Office benchmark (issue 19): taxpayer records imported into the office store on a local PostgreSQL server,
sealed on the desktop and loaded through binary COPY, side by side with the local store's import of the same
file in the same run.

    .venv/bin/python bench/office.py [--records N] [--work DIR] [--keep] [--seed S] [--log-seconds S]
                                     [--log-only]

Phases (each in its own spawned process, as bench/intake.py's):
  records local    Session.import_records into a new encrypted store (SQLCipher)
  records office   service.office_records.import_records into a new office database: the same parser, every
                   row's line sealed (AES-256-GCM) and its five blind indexes made (HMAC-SHA-256), binary COPY
                   into a staging table, one INSERT ... ON CONFLICT into the indexed table, one transaction
  log 8 writers    (bench/office_log.py) eight processes, each with its own connection, append to the office log
                   for --log-seconds (default 10), one entry per transaction as an office operation does; the log
                   is then checked for one order and as many entries as the writers counted

The server is a cluster made for the run (workstation/office/cluster.py; Debian's postgresql package), on the
same machine, with its default durability; it connects over its unix socket. "server CPU s" is the CPU time of
the server process that served the import (from /proc), beside the desktop's own (with its parse workers).

Targets (issue 19, item 7, on a 2-core machine): records import into the office >= 50,000 rows/s (the local
store's figure beside it; issue 15's target for it is 83,000 rows/s); 8 concurrent writers append >= 500 log
entries/s. `--log-only` runs the log phase alone (no inputs generated).
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import common  # type: ignore[import-not-found]  # bench/common.py, beside this file
import office_log  # type: ignore[import-not-found]  # bench/office_log.py, beside this file
import psycopg

from workstation.office.cluster import Cluster
from workstation.office.sealing import OfficeKeys
from workstation.service.office_records import OfficeCtx, import_records
from workstation.store.office import schema
from workstation.store.office.roles import OfficeRoles

OFFICE_RATE_TARGET = 50_000
LOCAL_RATE_TARGET = 83_000
DBNAME = "bench"
SETTINGS = {"shared_buffers": "'128MB'", "max_wal_size": "'2GB'", "log_min_messages": "warning"}


def _generate(work: str, records: int, seed: int) -> dict[str, Any]:
    found, reused = common.inputs(Path(work), records, 10, seed)
    return {"inputs": found.__dict__, "rows": found.record_rows, "seconds": 0.0 if reused else found.generate_seconds,
            "reused": reused}


def _local(work: str, source: str) -> dict[str, Any]:
    session = common.new_store(Path(work) / "intake" / "local")
    with session:
        summary, seconds, cpu = common.timed(lambda: session.import_records(Path(source)))
    return {"rows": summary.rows, "seconds": round(seconds, 3), "cpu_s": round(cpu, 2)}


def _server_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _office(conninfo: str, source: str) -> dict[str, Any]:
    keys = OfficeKeys.derive(secrets.token_bytes(32))
    with psycopg.connect(conninfo) as conn:
        before = _server_cpu(conn.info.backend_pid)
        ctx = OfficeCtx(conn, keys, "bench")
        summary, seconds, cpu = common.timed(lambda: import_records(ctx, Path(source)))
        server = _server_cpu(conn.info.backend_pid) - before
        size = conn.execute("SELECT pg_total_relation_size('dws.taxpayer_records')").fetchone()
    return {"rows": summary.rows, "seconds": round(seconds, 3), "cpu_s": round(cpu, 2),
            "server_cpu_s": round(server, 2), "table_mb": round(int(size[0] if size else 0) / common.MB, 1)}


def _start_server() -> tuple[Cluster, int]:
    root = Path(tempfile.mkdtemp(prefix="dws-bench-office-"))
    cluster = Cluster.at(root)
    cluster.init(secrets.token_urlsafe(24), SETTINGS)
    port = cluster.start()
    with psycopg.connect(cluster.conninfo(port), autocommit=True) as conn:
        schema.create_database(conn, DBNAME)
    with psycopg.connect(cluster.conninfo(port, DBNAME), autocommit=True) as conn:
        schema.create_office(conn, OfficeRoles("bench"))
    return cluster, port


def _arguments() -> Any:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--log-seconds", type=float, default=10.0, help="the log phase's length (default 10 s)")
    p.add_argument("--log-only", action="store_true", help="run the log phase alone")
    return p.parse_args()


def _log_row(logw: dict[str, Any]) -> tuple[Any, bool]:
    ok = logw["rows_per_s"] >= office_log.TARGET and logw["one_order"] and logw["counted"]
    return common.row(f"log {office_log.WRITERS} writers (entries)", logw, f">= {office_log.TARGET} entries/s, "
                      "one order, none lost", ok), ok


def main() -> None:
    args = _arguments()
    if args.log_only:
        cluster, port = _start_server()
        try:
            logw = common.run_phase("log 8 writers", office_log.writers, cluster.conninfo(port, DBNAME),
                                    args.log_seconds)
        finally:
            cluster.stop()
            shutil.rmtree(cluster.root, ignore_errors=True)
        print()
        common.print_table([_log_row(logw)[0]])
        print(f"  per writer: {logw['per_writer']}; one order: {logw['one_order']}; counted: {logw['counted']}")
        common.json_line("office_log", {"phases": {"log": logw}, "code": common.code_version()})
        return
    print(f"office benchmark: {args.records:,} record rows; {common.machine()['uptime']}")
    with common.work_folder(args, "dws-bench-office-") as work:
        gen = common.run_phase("generate inputs", _generate, str(work), args.records, args.seed)
        source = gen["inputs"]["records_csv"]
        cluster, port = _start_server()
        try:
            load_before = common.machine()
            local = common.run_phase("records local", _local, str(work), source)
            office = common.run_phase("records office", _office, cluster.conninfo(port, DBNAME), source)
            logw = common.run_phase("log 8 writers", office_log.writers, cluster.conninfo(port, DBNAME),
                                    args.log_seconds)
            load_after = common.machine()
        finally:
            cluster.stop()
            shutil.rmtree(cluster.root, ignore_errors=True)

    ok_office = office["rows_per_s"] >= OFFICE_RATE_TARGET
    log_row, ok_log = _log_row(logw)
    rows = [
        common.row("generate inputs" + (" (reused)" if gen["reused"] else ""), gen),
        common.row("records local", local, f">= {LOCAL_RATE_TARGET:,} rows/s (issue 15)",
                   local["rows_per_s"] >= LOCAL_RATE_TARGET),
        common.row("records office", office, f">= {OFFICE_RATE_TARGET:,} rows/s", ok_office),
        log_row,
    ]
    print()
    common.print_table(rows)
    ratio = office["seconds"] / local["seconds"]
    print(f"\noffice/local: {ratio:.2f}x wall; desktop CPU {office['cpu_s']:.2f} s (parse workers included) + "
          f"server CPU {office['server_cpu_s']:.2f} s vs local {local['cpu_s']:.2f} s")
    print(f"  per row: office {1e6 * office['cpu_s'] / office['rows']:.1f} desktop CPU-us + "
          f"{1e6 * office['server_cpu_s'] / office['rows']:.1f} server CPU-us; local "
          f"{1e6 * local['cpu_s'] / local['rows']:.1f} CPU-us; office table {office['table_mb']:.0f} MB")
    total_cpu = office["cpu_s"] + office["server_cpu_s"]
    print(f"  CPU, office (desktop + server) / local: {total_cpu / local['cpu_s']:.2f}x; the office's CPU-bound "
          f"ceiling on {load_after['cpus']} idle cores: {office['rows'] * load_after['cpus'] / total_cpu:,.0f} rows/s")
    print(f"  log: per writer {logw['per_writer']}; one order: {logw['one_order']}; counted: {logw['counted']}")
    print(f"load: before {load_before['load_1_5_15']}, after {load_after['load_1_5_15']} ({load_after['cpus']} CPUs)")
    common.json_line("office", {
        "records": office["rows"], "phases": {"local": local, "office": office, "log": logw},
        "ratio": round(ratio, 3), "pass": {"office_rate": ok_office, "log_rate": ok_log},
        "load_before": load_before, "load_after": load_after, "code": common.code_version(),
    })


if __name__ == "__main__":
    main()
