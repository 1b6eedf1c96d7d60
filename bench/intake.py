"""Intake benchmark: taxpayer records and a bulk request into a fresh store, encrypted and plain.

    .venv/bin/python bench/intake.py [--records N] [--subjects M] [--work DIR] [--keep] [--seed S]

Inputs come from the demo generator's streaming writers (cached in the work folder). Each phase runs in its
own spawned process, so its peak RSS is its own:

  records  encrypted  Session.import_records into a new store (Workstation.init): parse, validate, store
  records  plain      the same import_records on an unencrypted SQLite file (sqlcipher3, no key)
  request  encrypted  Session.import_request of the bulk (i)(2) request (subjects_csv) into that store
  request  plain      the same into the plain file
  store floor         the first FLOOR_ROWS rows, parsed beforehand, only stored the way the import stores them
                      (appended, indexes built, committed) in a new encrypted store: what SQLCipher alone costs
                      for these 22-column rows, the ceiling of any parser

Targets (issue 2, on a 2-core machine): records >= 200,000 rows/s; encrypted/plain <= 1.3x; peak RSS
<= 1 GB per phase whatever the file size.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

RECORDS_RATE_TARGET = 200_000
RATIO_TARGET = 1.3
RSS_TARGET_MB = 1024
FLOOR_ROWS = 500_000


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


def _store_floor(work: str, source: str) -> dict[str, Any]:
    """Parse the first FLOOR_ROWS rows (not timed), then time storing them as copy_records does."""
    from itertools import islice

    from workstation.intake import read_records
    from workstation.store import records as records_sql

    batches = list(islice(read_records(Path(source)), FLOOR_ROWS // 20_000))
    rows = sum(map(len, batches))
    session = common.new_store(Path(work) / "intake" / "floor")
    conn = session.conn

    def store() -> None:
        conn.execute("BEGIN IMMEDIATE")
        records_sql.drop_indexes(conn)
        for batch in batches:
            records_sql.insert_batch(conn, batch)
        records_sql.create_indexes(conn)
        conn.execute("COMMIT")

    with session:
        _none, seconds, cpu = common.timed(store)
    return {"rows": rows, "seconds": round(seconds, 3), "cpu_s": round(cpu, 2)}


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
        floor = common.run_phase("store floor", _store_floor, str(work), found["records_csv"])
        load_after = common.machine()

    enc, plain = results["records encrypted"], results["records plain"]
    renc, rplain = results["request encrypted"], results["request plain"]
    ratio = enc["seconds"] / plain["seconds"]
    ratio_cpu = enc["cpu_s"] / plain["cpu_s"]
    rratio = renc["seconds"] / rplain["seconds"]
    rratio_cpu = renc["cpu_s"] / rplain["cpu_s"]
    rss_ok = {k: v["peak_mb"] <= RSS_TARGET_MB for k, v in results.items()}
    rows = [
        common.row("generate inputs" + (" (reused)" if gen["reused"] else ""), gen),
        common.row("records encrypted", enc, f">= {RECORDS_RATE_TARGET:,} rows/s, <= 1 GB",
                   enc["rows_per_s"] >= RECORDS_RATE_TARGET and rss_ok["records encrypted"]),
        common.row("records plain", plain, "<= 1 GB", rss_ok["records plain"]),
        common.row("request encrypted", renc, "<= 1 GB", rss_ok["request encrypted"]),
        common.row("request plain", rplain, "<= 1 GB", rss_ok["request plain"]),
        common.row(f"store floor ({floor['rows']:,} rows)", floor, "(ceiling)"),
    ]
    print()
    common.print_table(rows)
    print(f"\nrecords encrypted/plain: {ratio:.2f}x wall, {ratio_cpu:.2f}x CPU (target <= {RATIO_TARGET}x): "
          f"{'PASS' if ratio <= RATIO_TARGET else 'FAIL'}")
    print(f"request encrypted/plain: {rratio:.2f}x wall, {rratio_cpu:.2f}x CPU (target <= {RATIO_TARGET}x): "
          f"{'PASS' if rratio <= RATIO_TARGET else 'FAIL'}")
    for name, r in results.items():
        print(f"  {name:18} CPU {r['cpu_s']:7.2f} s of {r['seconds']:7.2f} s wall "
              f"({r['rows'] / r['cpu_s']:,.0f} rows per CPU second); RSS before the import {r['rss_before_mb']:.0f} MB")
    print(f"store floor: {floor['rows'] / floor['seconds']:,.0f} rows/s storing already parsed rows (encrypted, "
          f"append + 3 indexes + commit, {1e6 * floor['cpu_s'] / floor['rows']:.1f} CPU-us a row): no parser can "
          f"make the import faster than this")
    print(f"load: before {load_before['load_1_5_15']}, after {load_after['load_1_5_15']} "
          f"({load_after['cpus']} CPUs)")
    verdict = {
        "records_rate": enc["rows_per_s"] >= RECORDS_RATE_TARGET,
        "records_ratio": ratio <= RATIO_TARGET,
        "request_ratio": rratio <= RATIO_TARGET,
        "peak_rss": all(rss_ok.values()),
    }
    common.json_line("intake", {
        "records": enc["rows"], "subjects": renc["rows"], "taxpayers": found["taxpayers"],
        "subject_mix": found["subject_mix"], "phases": results,
        "ratio_records": round(ratio, 3), "ratio_records_cpu": round(ratio_cpu, 3),
        "ratio_request": round(rratio, 3), "store_floor": floor, "ratio_request_cpu": round(rratio_cpu, 3),
        "pass": verdict, "load_before": load_before, "load_after": load_after, "code": common.code_version(),
    })


if __name__ == "__main__":
    main()
