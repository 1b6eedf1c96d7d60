"""What recording subjects' matches adds to an office evaluation (issue 19, schema step 7), at its worst: N subjects
(default 1,280,000, the bulk request's size) that all name no TIN and are all matched by name and address (a subject
matched to the TIN it names is not recorded: a bulk request naming TINs records next to nothing). The two pieces
`office_evaluation.record` adds, each timed alone (the subject pass collects the matches as it goes):

  index     each TIN's blind index (HMAC-SHA-256, OfficeKeys.indexer("tin"))
  copy      one binary COPY into dws.subject_matches and the commit, after an evaluation's row recorded through
            dws.record_evaluation in the same transaction (the statement trigger's check, the two indexes)

    .venv/bin/python bench/office_matches.py [--subjects N]

The server is a cluster made for the run (workstation/office/cluster.py), as bench/office.py's. Target: the sum
small beside the office's 1.28 M-subject evaluation (45.1 s in README.md; its 2x-the-local-store budget leaves
7.5 s): <= 3 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import office_server  # type: ignore[import-not-found]  # bench/office_server.py, beside this file
import psycopg

from workstation.office.sealing import OfficeKeys
from workstation.store.office import evaluations, matches
from workstation.store.office import requests as office_requests
from workstation.store.office.roles import OfficeRoles

DBNAME = "bench"
ROLES = OfficeRoles("benchm")
TARGET_S = 3.0


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed(label: str, fn):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), _cpu()
    out = fn()
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    print(f"  {label:<8} {wall:7.2f} s wall  {cpu:6.2f} CPU-s (desktop)")
    return out, wall


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--subjects", type=int, default=1_280_000)
    n = p.parse_args().subjects
    keys = OfficeKeys.derive(os.urandom(32))
    found = [(i, f"{100_000_000 + i * 7919 % 899_999_999:09d}") for i in range(n)]
    with office_server.office_server("dws-bench-matches-", DBNAME, ROLES) as (cluster, port):
        print(f"subjects' matches of {n:,} subjects:")
        index = keys.indexer("tin")
        indexed, t_index = timed("index", lambda: [(seq, index(tin)) for seq, tin in found])
        with psycopg.connect(cluster.conninfo(port, DBNAME)) as conn:
            with conn.transaction():
                rid = office_requests.new_id(conn)
                office_requests.insert(conn, id=rid, request_id="BENCH-1", received_on="2026-01-01",
                                       authority="6103(i)(2)", agency=b"\x01" * 40, agency_code=None,
                                       due_on=None, subject_count=n, imported_at="2026-01-01T00:00:00Z",
                                       imported_by="bench", document=b"\x01" * 40)

            def copy() -> int:
                with conn.transaction():
                    eid = evaluations.new_id(conn)
                    evaluations.record(conn, id=eid, request=rid, as_of="2026-01-01", evaluated_at="now",
                                       evaluated_by="bench", recommendation="deny", document=b"\x01" * 40,
                                       findings_hash=b"\x01" * 40, plan_hash=b"\x01" * 40, claim=False)
                    return matches.copy(conn, eid, indexed)
            copied, t_copy = timed("copy", copy)
            assert copied == n
            size = conn.execute("SELECT pg_total_relation_size('dws.subject_matches')").fetchone()
        total = t_index + t_copy
        print(f"  total    {total:7.2f} s wall (target <= {TARGET_S} s: {'PASS' if total <= TARGET_S else 'FAIL'}); "
              f"table and indexes {int(size[0]) / 1e6 if size else 0:.0f} MB; load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
