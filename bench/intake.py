"""Intake benchmark: taxpayer records and a bulk request imported into a fresh store, encrypted and plain, each
beside the floor of storing the same rows already parsed.

    .venv/bin/python bench/intake.py [--records N] [--subjects M] [--work DIR] [--keep] [--seed S]

Inputs come from the demo generator's streaming writers (cached in the work folder). Each phase runs in its
own spawned process, so its peak RSS is its own:

  records  encrypted  Session.import_records into a new store (Workstation.init): parse, validate, store
  records  plain      the same import_records on an unencrypted SQLite file (sqlcipher3, no key)
  request  encrypted  Session.import_request of the bulk (i)(2) request (subjects_csv) into that store
  request  plain      the same into the plain file
  records floor       every row of the file, parsed and packed beforehand (not timed), only stored the way the
                      import stores them (appended, the 3 indexes built, committed) in a new encrypted store:
                      what SQLCipher alone costs for these rows, the ceiling of any parser
  request floor       every subject, parsed and packed beforehand, only stored (inserted, committed)

Targets (issue 15, on a 2-core machine): records >= 83,000 rows/s (5,000,000 rows <= 60 s); the
1,280,000-subject request <= 15 s (>= 85,334 subjects/s); encrypted/plain <= 1.3x and peak RSS <= 1 GB per
phase whatever the file size (issue 2). `vs floor` is the import's wall time over the floor's, then its CPU
time over the floor's. A quick check: --records 200000 --subjects 50000 (under a minute).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

RECORDS_RATE_TARGET = 83_000                # issue 15: 5 M rows in 60 s
REQUEST_SECONDS_TARGET, REQUEST_TARGET_SUBJECTS = 15.0, 1_280_000
REQUEST_RATE_TARGET = REQUEST_TARGET_SUBJECTS / REQUEST_SECONDS_TARGET
RATIO_TARGET = 1.3
RSS_TARGET_MB = 1024


def _generate(work: str, records: int, subjects: int, seed: int) -> dict[str, Any]:
    found, reused = common.inputs(Path(work), records, subjects, seed)
    return {"inputs": found.__dict__, "rows": found.record_rows, "seconds": 0.0 if reused else found.generate_seconds,
            "reused": reused}


def _import(work: str, what: str, encrypted: bool, source: str) -> dict[str, Any]:
    """Import records (``what`` = "records") or the bulk request ("request") into the work folder's store:
    the encrypted store folder, or the plain database file."""
    base = Path(work) / "intake"
    first = what == "records"
    if encrypted:
        session = common.new_store(base / "enc") if first else common.open_store(base / "enc")
    else:
        session = common.plain_session(base / "plain" / "store.db", create=first)
    rss_before = common.peak_rss_mb()
    with session:
        call = session.import_records if first else session.import_request
        summary, seconds, cpu = common.timed(lambda: call(Path(source)))
    return {"rows": summary.rows, "seconds": round(seconds, 3), "cpu_s": round(cpu, 2),
            "rss_before_mb": round(rss_before, 1)}


def _records_floor(work: str, source: str) -> dict[str, Any]:
    """Parse and pack every row (not timed: worker processes, as the import), then time storing them the way
    records_load stores them into an empty table."""
    from workstation.intake.records_parallel import read_packed_bulk
    from workstation.store import records as records_sql

    batches = list(read_packed_bulk(Path(source)))
    session = common.new_store(Path(work) / "intake" / "floor")
    conn = session.conn

    def store() -> None:
        conn.execute("BEGIN IMMEDIATE")
        records_sql.drop_indexes(conn)
        first = records_sql.next_id(conn)
        for batch in batches:
            records_sql.insert_packed(conn, first, batch.rows, batch.lines)
            first += batch.count
        assert records_sql.create_indexes(conn) is None
        conn.execute("COMMIT")

    with session:
        _none, seconds, cpu = common.timed(store)
    return {"rows": sum(b.count for b in batches), "seconds": round(seconds, 3), "cpu_s": round(cpu, 2)}


def _request_floor(work: str, source: str) -> dict[str, Any]:
    """Read and pack every subject (not timed), then time inserting them and committing, as import_request does."""
    from workstation.intake import read_request
    from workstation.store import requests as requests_sql

    batches = list(read_request(Path(source)).subject_batches())
    session = common.new_store(Path(work) / "intake" / "floor-request")
    conn = session.conn

    def store() -> None:
        conn.execute("BEGIN IMMEDIATE")
        rid = requests_sql.insert(conn, request_id="FLOOR", received_on="2026-11-02", authority="6103(i)(2)",
                                  agency="floor", agency_code=None, due_on=None, package="{}", source="floor",
                                  imported_at="2026-11-02T00:00:00.000Z", imported_by="admin")
        count = 0
        for batch in batches:
            requests_sql.insert_packed_subjects(conn, rid, count, batch.json)
            count += batch.count
        requests_sql.finish(conn, rid, count, "")
        conn.execute("COMMIT")

    with session:
        _none, seconds, cpu = common.timed(store)
    return {"rows": sum(b.count for b in batches), "seconds": round(seconds, 3), "cpu_s": round(cpu, 2)}


def _vs(result: dict[str, Any], floor: dict[str, Any]) -> str:
    return f"{result['seconds'] / floor['seconds']:.2f}x / {result['cpu_s'] / floor['cpu_s']:.2f}x"


def _print(rows: list[tuple[common.Row, str]]) -> None:
    head = ["phase", "rows", "seconds", "CPU s", "rows/s", "peak RSS MB", "vs floor", "target", "result"]
    table = [head] + [[*r.cells()[:6], vs, *r.cells()[6:]] for r, vs in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(head))]
    for n, line in enumerate(table):
        print("  ".join(cell.rjust(w) if 1 <= i <= 6 else cell.ljust(w)
                        for i, (cell, w) in enumerate(zip(line, widths, strict=True))).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def main() -> None:
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    print(f"intake benchmark: {args.records:,} record rows, {args.subjects:,} subjects; "
          f"{common.machine()['uptime']}")
    with common.work_folder(args, "dws-bench-intake-") as work:
        gen = common.run_phase("generate inputs", _generate, str(work), args.records, args.subjects, args.seed)
        found = gen["inputs"]
        print(f"      records: {found['record_rows']:,} rows of {found['taxpayers']:,} taxpayers; "
              f"bulk subjects: {found['subject_mix']}")
        load_before = common.machine()
        results: dict[str, dict[str, Any]] = {}
        for what, source in (("records", found["records_csv"]), ("request", found["bulk_json"])):
            for encrypted in (True, False):
                name = f"{what} {'encrypted' if encrypted else 'plain'}"
                results[name] = common.run_phase(name, _import, str(work), what, encrypted, source)
        floor = common.run_phase("records floor", _records_floor, str(work), found["records_csv"])
        rfloor = common.run_phase("request floor", _request_floor, str(work), found["bulk_json"])
        load_after = common.machine()

    enc, plain = results["records encrypted"], results["records plain"]
    renc, rplain = results["request encrypted"], results["request plain"]
    ratio, ratio_cpu = enc["seconds"] / plain["seconds"], enc["cpu_s"] / plain["cpu_s"]
    rratio, rratio_cpu = renc["seconds"] / rplain["seconds"], renc["cpu_s"] / rplain["cpu_s"]
    rss_ok = {k: v["peak_mb"] <= RSS_TARGET_MB for k, v in results.items()}
    request_rate = renc["rows"] / renc["seconds"]
    verdict = {
        "records_rate": enc["rows_per_s"] >= RECORDS_RATE_TARGET,
        "request_rate": request_rate >= REQUEST_RATE_TARGET,
        "records_ratio": ratio <= RATIO_TARGET,
        "request_ratio": rratio <= RATIO_TARGET,
        "peak_rss": all(rss_ok.values()),
    }
    at_full = renc["rows"] * REQUEST_SECONDS_TARGET / REQUEST_TARGET_SUBJECTS
    rows = [
        (common.row("generate inputs" + (" (reused)" if gen["reused"] else ""), gen), ""),
        (common.row("records encrypted", enc, f">= {RECORDS_RATE_TARGET:,} rows/s, <= 1 GB",
                    verdict["records_rate"] and rss_ok["records encrypted"]), _vs(enc, floor)),
        (common.row("records plain", plain, "<= 1 GB", rss_ok["records plain"]), ""),
        (common.row("records floor", floor, "(ceiling)"), "1.00x"),
        (common.row("request encrypted", renc, f"<= {at_full:.2f} s ({REQUEST_RATE_TARGET:,.0f}/s), <= 1 GB",
                    verdict["request_rate"] and rss_ok["request encrypted"]), _vs(renc, rfloor)),
        (common.row("request plain", rplain, "<= 1 GB", rss_ok["request plain"]), ""),
        (common.row("request floor", rfloor, "(ceiling)"), "1.00x"),
    ]
    print()
    _print(rows)
    print(f"\nrecords encrypted/plain: {ratio:.2f}x wall, {ratio_cpu:.2f}x CPU (target <= {RATIO_TARGET}x): "
          f"{'PASS' if verdict['records_ratio'] else 'FAIL'}")
    print(f"request encrypted/plain: {rratio:.2f}x wall, {rratio_cpu:.2f}x CPU (target <= {RATIO_TARGET}x): "
          f"{'PASS' if verdict['request_ratio'] else 'FAIL'}")
    for name, r in results.items():
        print(f"  {name:18} CPU {r['cpu_s']:7.2f} s of {r['seconds']:7.2f} s wall "
              f"({r['rows'] / r['cpu_s']:,.0f} rows per CPU second); RSS before the import {r['rss_before_mb']:.0f} MB")
    for name, f in (("records floor", floor), ("request floor", rfloor)):
        print(f"  {name:18} {f['rows'] / f['seconds']:,.0f} rows/s storing rows already parsed and packed "
              f"(encrypted, {1e6 * f['cpu_s'] / f['rows']:.1f} CPU-us a row): no parser makes the import faster")
    print(f"load: before {load_before['load_1_5_15']}, after {load_after['load_1_5_15']} "
          f"({load_after['cpus']} CPUs)")
    common.json_line("intake", {
        "records": enc["rows"], "subjects": renc["rows"], "taxpayers": found["taxpayers"],
        "subject_mix": found["subject_mix"], "phases": results, "records_floor": floor, "request_floor": rfloor,
        "vs_floor": {"records": _vs(enc, floor), "request": _vs(renc, rfloor)},
        "ratio_records": round(ratio, 3), "ratio_records_cpu": round(ratio_cpu, 3),
        "ratio_request": round(rratio, 3), "ratio_request_cpu": round(rratio_cpu, 3),
        "pass": verdict, "load_before": load_before, "load_after": load_after, "code": common.code_version(),
    })


if __name__ == "__main__":
    main()
