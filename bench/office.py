"""Office benchmark (issue 19): taxpayer records imported into the office store on a local PostgreSQL server,
sealed on the desktop and loaded through binary COPY, side by side with the local store's import of the same
file in the same run.

    .venv/bin/python bench/office.py [--records N] [--queue N] [--work DIR] [--keep] [--seed S]
                                     [--log-seconds S] [--log-only] [--eval-only]

Phases (each in its own spawned process, as bench/intake.py's):
  records local    Session.import_records into a new encrypted store (SQLCipher)
  records office   service.office_records.import_records into a new office database: the same parser, every
                   row's line sealed (AES-256-GCM) and its six blind indexes made (HMAC-SHA-256) in the parse
                   worker that parsed it, laid out there in the binary COPY format; into the empty table
                   straight, its indexes built after the load (schema step 11: the four that are read), one
                   transaction
  log 8 writers    (bench/office_log.py) eight processes, each with its own connection, append to the office log
                   for --log-seconds (default 10), one entry per transaction as an office operation does; the log
                   is then checked for one order and as many entries as the writers counted

  evaluate local   Session.evaluate of the bulk (i)(2) request (--eval-subjects subjects, default 50,000) in a
                   local store holding the same records (their import not timed)
  evaluate office  service.office_evaluation.evaluate of the same request in the office (its import not timed),
                   as `dws evaluate --summary` runs it: the sealed subjects and candidate records streamed from
                   the server (the candidates on a second connection while the subjects are opened), opened, the
                   working copy built (SQLCipher, fresh key; no record lines, no per-subject results kept: nothing
                   reads them before it is removed), the local evaluation run on it, the result recorded; the
                   findings and plan hashes compared with the local ones

  queue local      Session.queue of a local store holding --queue requests, printed as `dws list` prints it
  queue office     service.office_requests.queue of an office holding as many (the plain queue metadata, each
                   requester's name opened on the desktop, each request's document sealed as an import seals
                   it), printed the same way: on a new connection
                   (what `dws list` and the GUI do) and again on the same one (warm, median of 5)

The server is a cluster made for the run (workstation/office/cluster.py; Debian's postgresql package), on the
same machine, with its default durability; it connects over its unix socket. "server CPU s" is the CPU time of
the server process that served the import (from /proc), beside the desktop's own (with its parse workers); for
the evaluation, also that of the server processes that ended meanwhile (the second connection's).

Targets (issue 19, item 7, on a 2-core machine): records import into the office >= 50,000 rows/s (the local
store's figure beside it; issue 15's target for it is 83,000 rows/s); an evaluation <= 2x the local store's
(wall; CPU-s beside it); a queue of 10,000 requests opens in
<= 200 ms (the local store's figure beside it); 8 concurrent writers append >= 500 log entries/s. `--log-only`
runs the log phase alone (no inputs generated); `--eval-only` the office's records import and the two evaluations
alone (no local records import, queue or log phases).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import secrets
import statistics
import sys
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import common  # type: ignore[import-not-found]  # bench/common.py, beside this file
import office_log  # type: ignore[import-not-found]  # bench/office_log.py, beside this file
import office_server  # type: ignore[import-not-found]  # bench/office_server.py, beside this file
import psycopg

from workstation.cli.commands_data import print_queue
from workstation.model import REQUEST_STATUSES, QueueRow
from workstation.office.request_seal import seal_agency, seal_document
from workstation.office.sealing import OfficeKeys
from workstation.service import office_evaluation
from workstation.service.office_records import OfficeCtx, import_records
from workstation.service.office_requests import import_request, queue
from workstation.store import db
from workstation.store import requests as local_requests
from workstation.store.office import requests as office_requests
from workstation.store.office.roles import OfficeRoles

OFFICE_RATE_TARGET = 50_000
QUEUE_TARGET_S = 0.200
QUEUE_REQUESTS = 10_000
EXAMPLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "intake" / "request_example.json"
LOCAL_RATE_TARGET = 83_000
DBNAME = "bench"
ROLES = OfficeRoles("bench")
EVAL_SUBJECTS = 50_000
EVAL_RATIO_TARGET = 2.0


def _generate(work: str, records: int, subjects: int, seed: int) -> dict[str, Any]:
    found, reused = common.inputs(Path(work), records, subjects, seed)
    return {"inputs": found.__dict__, "rows": found.record_rows, "seconds": 0.0 if reused else found.generate_seconds,
            "reused": reused}


def _local(work: str, source: str) -> dict[str, Any]:
    session = common.new_store(Path(work) / "intake" / "local")
    with session:
        summary, seconds, cpu = common.timed(lambda: session.import_records(Path(source)))
    return {"rows": summary.rows, "seconds": round(seconds, 3), "cpu_s": round(cpu, 2)}


def _evaluate_local(work: str, source: str, request: str, as_of: str) -> dict[str, Any]:
    session = common.new_store(Path(work) / "evaluate" / "local")
    with session:
        session.import_records(Path(source))
        summary = session.import_request(Path(request))
        assert summary.ident is not None
        doc, seconds, cpu = common.timed(lambda: session.evaluate(str(summary.ident), date.fromisoformat(as_of)))
    return {"rows": summary.rows, "seconds": round(seconds, 3), "cpu_s": round(cpu, 2),
            "findings_hash": doc["findings_hash"], "plan_hash": doc["plan_hash"]}


def _evaluate_office(conninfo: str, work: str, request: str, as_of: str, office_key: bytes) -> dict[str, Any]:
    os.environ[office_evaluation.SCRATCH_ENV] = str(Path(work) / "evaluate" / "scratch")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        ctx = OfficeCtx(conn, OfficeKeys.derive(office_key), "bench")
        summary = import_request(ctx, Path(request))
        before = _server_cpu(conn.info.backend_pid, ended=True)
        found, seconds, cpu = common.timed(lambda: office_evaluation.evaluate(
            ctx, str(summary.ident), date.fromisoformat(as_of), summary=True, roles=ROLES))
        server = _server_cpu(conn.info.backend_pid, ended=True) - before
    return {"rows": summary.rows, "seconds": round(seconds, 3), "cpu_s": round(cpu, 2),
            "server_cpu_s": round(server, 2), "findings_hash": found.doc["findings_hash"],
            "plan_hash": found.doc["plan_hash"]}


def _server_cpu(pid: int, ended: bool = False) -> float:
    """The CPU seconds of the server process `pid` (a backend); with `ended`, also those of the server's processes
    that ended since it started (its postmaster's reaped children: the evaluation's second connection, which reads
    the candidates, ends with it)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if ended:
        parent = Path(f"/proc/{int(fields[1])}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(parent[13]) + int(parent[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def _office(conninfo: str, source: str, office_key: bytes) -> dict[str, Any]:
    keys = OfficeKeys.derive(office_key)
    with psycopg.connect(conninfo) as conn:
        before = _server_cpu(conn.info.backend_pid)
        ctx = OfficeCtx(conn, keys, "bench")
        summary, seconds, cpu = common.timed(lambda: import_records(ctx, Path(source)))
        server = _server_cpu(conn.info.backend_pid) - before
        size = conn.execute("SELECT pg_total_relation_size('dws.taxpayer_records')").fetchone()
    return {"rows": summary.rows, "seconds": round(seconds, 3), "cpu_s": round(cpu, 2),
            "server_cpu_s": round(server, 2), "table_mb": round(int(size[0] if size else 0) / common.MB, 1)}


def _queue_rows(n: int) -> list[QueueRow]:
    """n requests as a busy office's queue holds them: agencies, authorities, due dates, statuses, sizes."""
    agencies = [("Department of Homeland Security", "DHS-ICE"), ("Department of Justice", "DOJ-FBI"),
                ("State of Vermont Department of Taxes", None), ("A Newspaper", None)]
    rows = []
    for i in range(n):
        agency, code = agencies[i % len(agencies)]
        received = f"{2024 + i % 3}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        rows.append(QueueRow(f"REQ-{i:06d}", agency, code, "foia" if code is None else "6103(i)(2)", received,
                             received.replace("-01-", "-02-", 1), 1 + i % 500,
                             REQUEST_STATUSES[i % len(REQUEST_STATUSES)]))
    return rows


def _package(row: QueueRow) -> str:
    doc = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    doc.update(request_id=row.request_id, received_on=row.received_on, authority=row.authority)
    return json.dumps(doc)


def _open_queue(fetch: Any) -> dict[str, Any]:
    """The queue fetched and printed as `dws list` prints it: the first time (a new connection), then warm."""
    args = argparse.Namespace(json=False)

    def once() -> int:
        rows = fetch()
        with contextlib.redirect_stdout(io.StringIO()):
            print_queue(args, rows)
        return len(rows)

    listed, cold, cpu = common.timed(once)
    warm = statistics.median(common.timed(once)[1] for _ in range(5))
    return {"rows": listed, "seconds": round(cold, 4), "cpu_s": round(cpu, 4), "warm_s": round(warm, 4)}


def _queue_local(work: str, n: int) -> dict[str, Any]:
    folder = Path(work) / "queue" / "local"
    with common.new_store(folder) as session, db.transaction(session.conn):
        for row in _queue_rows(n):
            rid = local_requests.insert(
                session.conn, request_id=row.request_id, received_on=row.received_on, authority=row.authority,
                agency=row.agency, agency_code=row.agency_code, due_on=row.due_on, package=_package(row),
                source="bench.json", imported_at="2026-01-01T00:00:00Z", imported_by="admin")
            local_requests.finish(session.conn, rid, row.subjects, "0" * 64)
    with common.open_store(folder) as session:
        return _open_queue(session.queue)


def _queue_office(conninfo: str, n: int, office_key: bytes) -> dict[str, Any]:
    keys = OfficeKeys.derive(office_key)
    with psycopg.connect(conninfo) as conn, conn.transaction():
        for row in _queue_rows(n):
            rid = office_requests.new_id(conn)
            office_requests.insert(
                conn, id=rid, request_id=row.request_id, received_on=row.received_on, authority=row.authority,
                agency=seal_agency(keys, rid, row.agency), agency_code=row.agency_code, due_on=row.due_on,
                subject_count=row.subjects,
                imported_at="2026-01-01T00:00:00Z", imported_by="bench",
                document=seal_document(keys, rid, {"package": json.loads(_package(row)), "source": "bench.json"}))
    with psycopg.connect(conninfo) as conn:
        return _open_queue(lambda: queue(OfficeCtx(conn, keys, "bench")))


def _arguments() -> Any:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--log-seconds", type=float, default=10.0, help="the log phase's length (default 10 s)")
    p.add_argument("--log-only", action="store_true", help="run the log phase alone")
    p.add_argument("--eval-subjects", type=int, default=EVAL_SUBJECTS, metavar="N",
                   help=f"subjects of the evaluated request (default {EVAL_SUBJECTS:,}; 0: no evaluation phases)")
    p.add_argument("--queue", type=int, default=QUEUE_REQUESTS, metavar="N", help="requests in the queue phases")
    p.add_argument("--eval-only", action="store_true",
                   help="the evaluation phases alone (and the office's records import they need): no local records "
                        "import, queue or log phases")
    return p.parse_args()


def _log_row(logw: dict[str, Any]) -> tuple[Any, bool]:
    ok = logw["rows_per_s"] >= office_log.TARGET and logw["one_order"] and logw["counted"]
    return common.row(f"log {office_log.WRITERS} writers (entries)", logw, f">= {office_log.TARGET} entries/s, "
                      "one order, none lost", ok), ok


def _eval_report(office: dict[str, Any], evaluated: Any, load_before: dict[str, Any],
                 load_after: dict[str, Any]) -> None:
    """--eval-only's table: the office's records import and the two evaluations."""
    rows = [common.row("records office", office, f">= {OFFICE_RATE_TARGET:,} rows/s",
                       office["rows_per_s"] >= OFFICE_RATE_TARGET)]
    ok_eval = None
    if evaluated is not None:
        ev_local, ev_office = evaluated
        ok_eval = (ev_office["seconds"] / ev_local["seconds"] <= EVAL_RATIO_TARGET
                   and ev_office["findings_hash"] == ev_local["findings_hash"])
        rows += [common.row("evaluate local (subjects)", ev_local),
                 common.row("evaluate office (subjects)", ev_office,
                            f"<= {EVAL_RATIO_TARGET:.0f}x local, same findings", ok_eval)]
    print()
    common.print_table(rows)
    print(f"records office: desktop CPU {office['cpu_s']:.2f} s + server CPU {office['server_cpu_s']:.2f} s")
    if evaluated is not None:
        _print_evaluation(office, *evaluated)
    print(f"load: before {load_before['load_1_5_15']}, after {load_after['load_1_5_15']} ({load_after['cpus']} CPUs)")
    common.json_line("office_eval", {
        "records": office["rows"], "phases": {"office": office, **({} if evaluated is None else {
            "evaluate_local": evaluated[0], "evaluate_office": evaluated[1]})},
        "pass": {"evaluation": ok_eval, "office_rate": office["rows_per_s"] >= OFFICE_RATE_TARGET},
        "load_before": load_before, "load_after": load_after, "code": common.code_version()})


def _print_evaluation(office: dict[str, Any], ev_local: dict[str, Any], ev_office: dict[str, Any]) -> None:
    print(f"evaluation of {ev_office['rows']:,} subjects against {office['rows']:,} records: office/local "
          f"{ev_office['seconds'] / ev_local['seconds']:.2f}x wall, {ev_office['seconds']:.2f} s vs "
          f"{ev_local['seconds']:.2f} s; CPU desktop {ev_office['cpu_s']:.2f} s + server "
          f"{ev_office['server_cpu_s']:.2f} s vs local {ev_local['cpu_s']:.2f} s; the same findings hash: "
          f"{ev_office['findings_hash'] == ev_local['findings_hash']}, plan hash: "
          f"{ev_office['plan_hash'] == ev_local['plan_hash']}")


def main() -> None:
    args = _arguments()
    if args.log_only:
        with office_server.office_server("dws-bench-office-", DBNAME, ROLES) as (cluster, port):
            logw = common.run_phase("log 8 writers", office_log.writers, cluster.conninfo(port, DBNAME),
                                    args.log_seconds)
        print()
        common.print_table([_log_row(logw)[0]])
        print(f"  per writer: {logw['per_writer']}; one order: {logw['one_order']}; counted: {logw['counted']}")
        common.json_line("office_log", {"phases": {"log": logw}, "code": common.code_version()})
        return
    print(f"office benchmark: {args.records:,} record rows; {common.machine()['uptime']}")
    with common.work_folder(args, "dws-bench-office-") as work:
        gen = common.run_phase("generate inputs", _generate, str(work), args.records, max(args.eval_subjects, 10),
                               args.seed)
        source = gen["inputs"]["records_csv"]
        with office_server.office_server("dws-bench-office-", DBNAME, ROLES) as (cluster, port):
            load_before = common.machine()
            local = None if args.eval_only else common.run_phase("records local", _local, str(work), source)
            office_key = secrets.token_bytes(32)       # the records' and the evaluation's office key
            office = common.run_phase("records office", _office, cluster.conninfo(port, DBNAME), source, office_key)
            evaluated = None
            if args.eval_subjects:
                bulk, as_of = gen["inputs"]["bulk_json"], date.today().isoformat()
                evaluated = (common.run_phase("evaluate local", _evaluate_local, str(work), source, bulk, as_of),
                             common.run_phase("evaluate office", _evaluate_office, cluster.conninfo(port, DBNAME),
                                              str(work), bulk, as_of, office_key))
            if args.eval_only:
                load_after = common.machine()
            else:
                queue_local = common.run_phase("queue local", _queue_local, str(work), args.queue)
                queue_office = common.run_phase("queue office", _queue_office, cluster.conninfo(port, DBNAME),
                                                args.queue, office_key)
                logw = common.run_phase("log 8 writers", office_log.writers, cluster.conninfo(port, DBNAME),
                                        args.log_seconds)
                load_after = common.machine()
    if local is None:
        _eval_report(office, evaluated, load_before, load_after)
        return

    ok_office = office["rows_per_s"] >= OFFICE_RATE_TARGET
    ok_queue = queue_office["seconds"] <= QUEUE_TARGET_S
    log_row, ok_log = _log_row(logw)
    rows = [
        common.row("generate inputs" + (" (reused)" if gen["reused"] else ""), gen),
        common.row("records local", local, f">= {LOCAL_RATE_TARGET:,} rows/s (issue 15)",
                   local["rows_per_s"] >= LOCAL_RATE_TARGET),
        common.row("records office", office, f">= {OFFICE_RATE_TARGET:,} rows/s", ok_office),
        common.row("queue local (open)", queue_local, unit="ms"),
        common.row("queue office (open)", queue_office, f"<= {QUEUE_TARGET_S * 1000:.0f} ms", ok_queue, unit="ms"),
        log_row,
    ]
    ok_eval = None
    if evaluated is not None:
        ev_local, ev_office = evaluated
        eval_ratio = ev_office["seconds"] / ev_local["seconds"]
        ok_eval = eval_ratio <= EVAL_RATIO_TARGET and ev_office["findings_hash"] == ev_local["findings_hash"]
        rows[3:3] = [common.row("evaluate local (subjects)", ev_local),
                     common.row("evaluate office (subjects)", ev_office,
                                f"<= {EVAL_RATIO_TARGET:.0f}x local, same findings", ok_eval)]
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
    if evaluated is not None:
        _print_evaluation(office, *evaluated)
    print(f"queue of {queue_office['rows']:,}: office {queue_office['seconds'] * 1000:.1f} ms on a new connection, "
          f"{queue_office['warm_s'] * 1000:.1f} ms warm; local {queue_local['seconds'] * 1000:.1f} ms, "
          f"{queue_local['warm_s'] * 1000:.1f} ms warm")
    print(f"  log: per writer {logw['per_writer']}; one order: {logw['one_order']}; counted: {logw['counted']}")
    print(f"load: before {load_before['load_1_5_15']}, after {load_after['load_1_5_15']} ({load_after['cpus']} CPUs)")
    common.json_line("office", {
        "records": office["rows"], "phases": {"local": local, "office": office, "queue_local": queue_local,
                                               "queue_office": queue_office, "log": logw,
                                               **({} if evaluated is None else {"evaluate_local": evaluated[0],
                                                                                "evaluate_office": evaluated[1]})},
        "ratio": round(ratio, 3),
        "pass": {"evaluation": ok_eval, "office_rate": ok_office, "queue": ok_queue, "log_rate": ok_log},
        "load_before": load_before,
        "load_after": load_after, "code": common.code_version(),
    })


if __name__ == "__main__":
    main()
