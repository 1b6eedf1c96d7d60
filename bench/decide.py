"""Decision benchmark (issue 4): decide and approve a 1,280,000-subject request (<= 5 s; the plan is hashed
as a stream, never loaded whole) and `dws verify` over 1,000,000 audit-log entries (<= 10 s).

    .venv/bin/python bench/decide.py [--subjects 1280000] [--entries 1000000] [--work DIR] [--keep]

Inputs, built once per work folder: a store with a (i)(2) request of --subjects subjects inserted directly and a
stored evaluation (partial: most subjects releasable) — evaluation itself is bench/evaluate.py's work; then
--entries audit-log entries, chained exactly as the service chains them. Measured: Session.decide and
Session.approve (each includes the re-entered passphrase, its key derivation (PBKDF2, calibrated to 0.5 s; Argon2id
under crypto = standard), the streamed plan hash and the signature), and Session.verify (the chain, every
signature).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workstation.canonical import canonical_json, utc_now
from workstation.service import Workstation
from workstation.store import auditlog, db, logtree
from workstation.store import evaluation as ev

REQUEST = "BENCH-DECIDE"
USERS = {"admin": "admin", "rita": "reviewer", "alex": "approver", "otto": "auditor"}


def pw(user: str) -> str:
    return f"bench-{user}-passphrase"


def package() -> dict:
    return {"request_id": REQUEST, "received_on": "2026-11-02", "authority": "6103(i)(2)", "in_writing": True,
            "requester": {"agency": "Department of Justice", "component": None, "agency_code": "DOJ-FBI",
                          "address_lines": ["935 Pennsylvania Ave NW", "Washington, DC 20535"]},
            "signer": {"name": "K. Director", "title": "Director", "role": "head-of-agency", "signature_present": True},
            "statute": {"citation": "18 U.S.C. 1343", "class": "criminal"},
            "purpose": {"category": "nontax-criminal", "statement": "Wire fraud"}, "solely_for_use_certified": True,
            "officers": [], "items": ["name", "address"], "periods": ["2024"], "court_order": None, "consent": None,
            "subjects_csv": "subjects.csv"}


def build(store: Path, subjects: int, entries: int) -> None:
    ws = Workstation(store)
    s, _code, _ = ws.init("admin", pw("admin"))
    for name, role in USERS.items():
        if name != "admin":
            s.add_user(name, role, pw(name))
    conn = s.conn
    with db.transaction(conn):
        conn.execute("INSERT INTO requests (request_id, received_on, authority, agency, agency_code, due_on, "
                     "subject_count, status, package, package_hash, source, imported_at, imported_by) VALUES "
                     "(?, '2026-11-02', '6103(i)(2)', 'Department of Justice', 'DOJ-FBI', '2026-12-02', ?, "
                     "'evaluated', ?, ?, 'bench', ?, 'rita')",
                     (REQUEST, subjects, json.dumps(package()), "0" * 64, utc_now()))
        rid = conn.execute("SELECT rid FROM requests WHERE request_id = ?", (REQUEST,)).fetchone()[0]
        rows = []
        for seq in range(subjects):
            if seq % 10 == 9:
                rows.append((rid, seq, str(seq + 1), "withheld", None, '[["ADDRESS","fail","no complete address"]]',
                             "", "name:ADDRESS,address:ADDRESS"))
            else:
                rows.append((rid, seq, str(seq + 1), "releasable", f"{100000000 + seq}:SSN", "[]", "name,address",
                             ""))
            if len(rows) == 50_000:
                ev.insert_results(conn, rows)
                rows = []
        ev.insert_results(conn, rows)
    from hashlib import sha256

    h, f = sha256(), sha256()
    for _seq, ref, released, held in ev.plan_rows(conn, rid):
        h.update(ev.plan_line(ref, released, held))
    for (ref, found) in conn.execute("SELECT ref, findings FROM subject_results WHERE rid = ? ORDER BY seq", (rid,)):
        f.update(f"{ref}\t{found}\n".encode())
    releasable = subjects - subjects // 10
    counts = {"subjects": subjects, "releasable": releasable, "withheld": subjects // 10, "no_record": 0}
    with db.transaction(conn):
        ev.save_evaluation(conn, rid, {
            "evaluated_at": utc_now(), "evaluated_by": "rita", "as_of": date.today().isoformat(),
            "data_version": ev.data_version(conn), "overrides_rev": 0, "recommendation": "partial",
            "needs_review": False, "counts": counts, "request_findings": [],
            "code_counts": {"ADDRESS": {"fail": subjects // 10}}, "plan_hash": h.hexdigest(),
            "findings_hash": f.hexdigest(), "released_items": "name,address"})
    append_entries(conn, entries)
    s.close()


def append_entries(conn: db.Connection, n: int) -> None:
    """n more entries, chained exactly as auditlog.append chains them, inserted in batches."""
    seq, prev = auditlog.head(conn)
    batch = []
    with db.transaction(conn):
        for _ in range(n):
            seq += 1
            ts = utc_now()
            detail = canonical_json({"ref": str(seq), "request": REQUEST}).decode()
            h = auditlog.entry_hash(prev, seq, ts, "rita", "preview-viewed", REQUEST, detail)
            batch.append((seq, ts, "rita", "preview-viewed", REQUEST, detail, prev, h))
            prev = h
            if len(batch) == 50_000:
                conn.executemany("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch)
                batch = []
        conn.executemany("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch)
        logtree.extend(conn)                 # and their leaves and nodes in the log's Merkle tree


def timed(label: str, fn, limit: float, figures: dict) -> None:
    t, c = time.perf_counter(), time.process_time()
    fn()
    dt, cpu = time.perf_counter() - t, time.process_time() - c
    figures[label] = {"seconds": round(dt, 3), "cpu_seconds": round(cpu, 3), "limit": limit, "pass": dt <= limit}
    print(f"  {label:<34} {dt:8.2f} s (CPU {cpu:6.2f} s)   limit {limit:5.1f} s   {'PASS' if dt <= limit else 'FAIL'}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=int, default=1_280_000)
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--work", type=Path)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("DWS_NO_KEYRING", "1")
    work = args.work or Path(tempfile.mkdtemp(prefix="dws-bench-decide-"))
    pristine = work / f"store-{args.subjects}-{args.entries}"
    print(f"decide benchmark: {args.subjects:,} subjects, {args.entries:,} log entries; load {os.getloadavg()}")
    if not (pristine / "keyslots.json").exists():
        t = time.perf_counter()
        build(pristine, args.subjects, args.entries)
        print(f"  (inputs built in {time.perf_counter() - t:.1f} s)")
    store = work / "run"                     # every run decides on a fresh copy of the undecided store
    shutil.rmtree(store, ignore_errors=True)
    shutil.copytree(pristine, store)
    figures: dict = {}
    ws = Workstation(store)
    with ws.unlock("rita", pw("rita")) as s:
        timed("decide (partial) + signature", lambda: s.decide(REQUEST, "partial", None, pw("rita")), 5.0, figures)
    with ws.unlock("alex", pw("alex")) as s:
        timed("approve + signature", lambda: s.approve(REQUEST, pw("alex")), 5.0, figures)
    total = figures["decide (partial) + signature"]["seconds"] + figures["approve + signature"]["seconds"]
    figures["decide + approve"] = {"seconds": round(total, 3), "limit": 5.0, "pass": total <= 5.0}
    print(f"  {'decide + approve':<34} {total:8.2f} s   limit   5.0 s   {'PASS' if total <= 5.0 else 'FAIL'}")
    with ws.unlock("otto", pw("otto")) as s:
        report = None

        def run_verify() -> None:
            nonlocal report
            report = s.verify()

        timed(f"verify ({args.entries:,}+ entries)", run_verify, 10.0, figures)
        assert report is not None and report.ok, report.problems if report else None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"  peak RSS {rss} MB; load {os.getloadavg()}")
    print("JSON " + json.dumps({"bench": "decide", "subjects": args.subjects, "entries": args.entries,
                                "figures": figures, "peak_rss_mb": rss, "load": os.getloadavg()}))
    if not args.keep and args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
