"""The store bench/letters.py and bench/release_gate.py measure, built once per work folder (reused with --keep or
another run on the same --work): taxpayer records, a DOJ-FBI (i)(2) request naming --subjects of them and a
one-subject request beside it, both evaluated, decided and approved; a --bulk-subject request's results
constructed directly and denied. bench/letters.py's docstring describes them.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workstation.canonical import utc_now
from workstation.demo.generator import REFERENCE_DAY
from workstation.demo.orders import REQUESTERS
from workstation.demo.taxpayers import TaxpayerFactory, write_records
from workstation.service import Workstation
from workstation.store import db
from workstation.store import evaluation as ev

TODAY: date = REFERENCE_DAY
USERS = {"admin": "admin", "rita": "reviewer", "alex": "approver", "cora": "counsel"}
BIG, ONE, BULK = "BENCH-LETTER-47K", "BENCH-LETTER-ONE", "BENCH-LETTER-BULK"
MARKER = "bench-inputs.json"        # in the store folder once it is built: what `build` returned


def pw(user: str) -> str:
    return f"bench-{user}-passphrase"


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--subjects", type=int, default=47_000)
    p.add_argument("--bulk", type=int, default=1_280_000)
    p.add_argument("--work", type=Path)
    p.add_argument("--keep", action="store_true")
    p.add_argument("--seed", type=int, default=1)
    return p


@contextmanager
def letters_store(args: argparse.Namespace, prefix: str, *, tidy_given: bool) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(store, what `build` returned): the store in the work folder (--work, else a new temporary folder under
    /tmp), built unless a run before left it there. At the end the work folder is removed unless --keep; of a
    folder given with --work, the store and its inputs when `tidy_given`, else nothing."""
    os.environ["DWS_NO_KEYRING"] = "1"
    os.umask(0o077)
    work = (args.work or Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))).resolve()
    store = work / f"store-{args.subjects}-{args.bulk}-{args.seed}"
    try:
        marker = store / MARKER
        if marker.exists():
            info = json.loads(marker.read_text())
            print(f"reusing {store}")
        else:
            shutil.rmtree(store, ignore_errors=True)
            (work / "inputs").mkdir(parents=True, exist_ok=True)
            print(f"building inputs in {work} (records, a {args.subjects:,}-subject request, "
                  f"{args.bulk:,} constructed results) ...", flush=True)
            info = build(store, work / "inputs", args.subjects, args.bulk, args.seed)
            marker.write_text(json.dumps(info))
        yield store, info
    finally:
        if args.keep:
            print(f"work folder kept: {work}")
        elif args.work is None:
            shutil.rmtree(work, ignore_errors=True)
        elif tidy_given:
            shutil.rmtree(store, ignore_errors=True)
            shutil.rmtree(work / "inputs", ignore_errors=True)


# -- inputs -----------------------------------------------------------------------------------------------

def request_doc(request_id: str, periods: list[str], subjects_csv: str | None, subjects: list | None) -> dict:
    return {"format": "dws.request/1", "request_id": request_id, "received_on": "2026-10-20",
            "authority": "6103(i)(2)", "in_writing": True, "requester": REQUESTERS["DOJ-FBI"],
            "signer": {"name": "K. Director", "title": "Director", "role": "head-of-agency",
                       "signature_present": True},
            "statute": {"citation": "18 U.S.C. 1343", "class": "criminal"},
            "purpose": {"category": "nontax-criminal", "statement": "Investigation of a nationwide wire-fraud "
                        "scheme (18 U.S.C. 1343)."},
            "solely_for_use_certified": True,
            "officers": [{"name": "B. Agent", "title": "Special Agent", "active_matters": 40},
                         {"name": "C. Agent", "title": "Special Agent", "active_matters": 35}],
            "items": ["name", "address"], "periods": periods, "subjects": subjects, "subjects_csv": subjects_csv,
            "court_order": None, "consent": None}


def write_inputs(work: Path, subjects: int, seed: int) -> dict[str, Any]:
    """Records of enough taxpayers, the big request's subjects CSV, the one-subject request."""
    factory = TaxpayerFactory(seed, TODAY)
    periods = [str(y) for y in factory.years[-2:]]
    taxpayers = int(subjects / 0.6) + 1000
    rows = write_records(work / "records.csv", factory, taxpayers)
    chosen = []
    for index in range(taxpayers):
        tp = factory.taxpayer(index)
        own = [p for p in periods if int(p) in tp.years]
        if tp.individual and not tp.hold and own:
            chosen.append((tp, own))
            if len(chosen) == subjects + 1:
                break
    if len(chosen) <= subjects:
        raise SystemExit(f"only {len(chosen)} usable taxpayers among {taxpayers}")
    with (work / "subjects.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["ref", "name", "tin", "street", "city", "state", "zip", "periods", "case_no", "reason"])
        for n, (tp, own) in enumerate(chosen[:subjects], 1):
            case = f"WF-26-{n:06d}"
            w.writerow([str(n), tp.name, tp.tin, *tp.last_known, ";".join(own), case,
                        f"Account holder in the wire-fraud case {case}; the address locates a witness."])
    (work / f"{BIG}.json").write_text(json.dumps(request_doc(BIG, periods, "subjects.csv", None)))
    tp, own = chosen[subjects]
    one = [{"ref": "1", "name": tp.name, "tin": tp.tin, "periods": own, "case_no": "WF-26-900001",
            "address": dict(zip(("street", "city", "state", "zip"), tp.last_known, strict=True)),
            "reason": "Account holder in the wire-fraud case WF-26-900001; the address locates a witness."}]
    (work / f"{ONE}.json").write_text(json.dumps(request_doc(ONE, periods, None, one)))
    return {"taxpayers": taxpayers, "record_rows": rows, "periods": periods}


SUBJECT_DEFECTS = (   # (weight, code, outcome, message, status, matched)
    (25, "MATCH", "fail", "no record: no taxpayer on file has this TIN", "no-record", False),
    (30, "ADDRESS-MATCH", "fail", "the address given is not an address on file for this taxpayer in any year; "
     "listed for manual review", "withheld", True),
    (18, "ADDRESS", "fail", "Street address is missing; City is missing; State is missing", "withheld", True),
    (10, "ADDRESS", "fail", "the street is a placeholder, not an address", "withheld", True),
    (5, "NAME", "fail", "the name is a placeholder", "withheld", False),
    (5, "PERIOD-RECORD", "fail", "no record for 2025", "withheld", True),
    (5, "REASON", "fail", "the reason does not refer to this taxpayer's case number", "withheld", True),
    (1, "HOLD", "fail", "cannot be disclosed at this time (internal hold, 26 U.S.C. 6103(i)(6))", "withheld", True),
    (1, "MATCH", "needs-review", "the name and address match 2 taxpayers on file; decide which record is meant",
     "review", False),
)


def _hash_lines(plan: Any, findings: Any, rows: list[tuple[Any, ...]]) -> None:
    """The plan and findings hash lines of result rows (rid, seq, ref, status, matched, findings, released,
    withheld), as the evaluation writes them (`ev.plan_line`; "ref TAB findings JSON NEWLINE")."""
    plan.update(b"".join(ev.plan_line(r[2], r[6], r[7]) for r in rows))
    findings.update("".join(f"{r[2]}\t{r[5]}\n" for r in rows).encode())


def construct_bulk(s: Any, work: Path, bulk: int, periods: list[str], seed: int) -> None:
    """The 1,280,000-subject request's results, built directly (see the module docstring)."""
    import hashlib

    one = request_doc(BULK, periods, None, [{"ref": "1", "name": "Placeholder", "tin": "212-45-1001",
                                             "address": None, "periods": periods, "case_no": None,
                                             "reason": None}])
    (work / f"{BULK}.json").write_text(json.dumps(one))
    s.import_request(work / f"{BULK}.json")
    rid = ev.package(s.conn, BULK)[0]
    r = random.Random(seed)
    weights = [d[0] for d in SUBJECT_DEFECTS]
    plan, findings_hash = hashlib.sha256(), hashlib.sha256()     # as the evaluation hashes them while it writes
    with db.transaction(s.conn):
        ev.clear_results(s.conn, rid)
        batch = []
        no_record = 0
        for seq in range(bulk):
            _w, code, outcome, message, status, matched = r.choices(SUBJECT_DEFECTS, weights)[0]
            findings = [[code, outcome, message]]
            no_record += status == "no-record"
            if code == "ADDRESS" and r.random() < 0.5:
                findings.append(["ADDRESS-MATCH", "fail", SUBJECT_DEFECTS[1][3]])
            batch.append((rid, seq, str(seq + 1), status, f"{300000000 + seq}:SSN" if matched else None,
                          json.dumps(findings, separators=(",", ":")), "", f"name:{code},address:{code}"))
            if len(batch) == 50_000:
                _hash_lines(plan, findings_hash, batch)
                ev.insert_results(s.conn, batch)
                batch = []
        _hash_lines(plan, findings_hash, batch)
        ev.insert_results(s.conn, batch)
        s.conn.execute("UPDATE requests SET subject_count = ? WHERE rid = ?", (bulk, rid))
        counts = {"subjects": bulk, "releasable": 0, "withheld": bulk - no_record, "no_record": no_record}
        bulk_finding = {"code": "BULK", "scope": "request", "ref": None, "outcome": "needs-review",
                        "message": f"{bulk} subjects, more than the bulk threshold (100)",
                        "citation": "IRS Publication 1075; office bulk-request procedure"}
        ev.save_evaluation(s.conn, rid, {
            "evaluated_at": utc_now(), "evaluated_by": s.user, "as_of": TODAY.isoformat(),
            "data_version": ev.data_version(s.conn), "overrides_rev": ev.overrides_rev(s.conn, rid),
            "recommendation": "deny", "needs_review": True, "counts": counts, "request_findings": [bulk_finding],
            "code_counts": {"BULK": {"needs-review": 1}}, "plan_hash": plan.hexdigest(),
            "findings_hash": findings_hash.hexdigest(), "released_items": ""})
        ev.set_status(s.conn, rid, "evaluated")


def build(store: Path, work: Path, subjects: int, bulk: int, seed: int) -> dict[str, Any]:
    ws = Workstation(store)
    admin, _code, _notice = ws.init("admin", pw("admin"), bind_device=False)
    with admin:
        for name, role in USERS.items():
            if name != "admin":
                admin.add_user(name, role, pw(name))
    t0 = time.perf_counter()
    info = write_inputs(work, subjects, seed)
    with ws.unlock("cora", pw("cora")) as counsel:
        counsel.change_setting("officer_caseload_limit", subjects)
    with ws.unlock("rita", pw("rita")) as s:
        s.import_records(work / "records.csv")
        for rid in (BIG, ONE):
            s.import_request(work / f"{rid}.json")
            s.evaluate(rid, TODAY)
        construct_bulk(s, work, bulk, info["periods"], seed)
        for rid, outcome in ((BIG, "grant"), (ONE, "grant"), (BULK, "deny")):
            s.decide(rid, outcome, None, pw("rita"), TODAY)
    with ws.unlock("alex", pw("alex")) as s:       # grants, and a bulk request's denial, need the approver
        for rid in (BIG, ONE, BULK):
            s.approve(rid, pw("alex"), TODAY)
    info["build_s"] = round(time.perf_counter() - t0, 1)
    return info
