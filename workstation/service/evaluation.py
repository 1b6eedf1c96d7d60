"""`evaluate`: every check for the request and each subject, the release plan, the recommendation.

The result is stored (one row per subject) so a request opens at once later; it is recomputed when an
input changes: records, court orders, agency entries or settings (the store's data version), the
request's overrides, or the evaluation date.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict
from datetime import date
from typing import Any

from ..canonical import canonical_json, utc_now
from ..codec import package_from_json
from ..errors import InputError
from ..rules.checks_request import RequestContext, evaluate_request, valid_periods
from ..rules.findings import BLOCK, FAIL, PASS, REVIEW, citation, releasable_items
from ..rules.plan import Plan, build_plan, recommend
from ..rules.subjects import SubjectPolicy, evaluate_subject, reason_key
from ..store import db, orders
from ..store import evaluation as ev
from .session import CancelCheck, Progress, Session

BATCH = 20_000


def _request(s: Session, request_id: str) -> tuple[int, Any, int, str]:
    row = ev.package(s.conn, request_id)
    if row is None:
        raise InputError(f"no request {request_id!r} in the store (see 'dws list')")
    rid, package_json, count, package_hash = row
    return rid, package_from_json(package_json), count, package_hash


def stored(s: Session, request_id: str, as_of: date) -> dict[str, Any] | None:
    """The stored evaluation when none of its inputs changed since, else None."""
    rid, _pkg, _n, _h = _request(s, request_id)
    doc = ev.load_evaluation(s.conn, rid)
    if doc is None or doc["as_of"] != as_of.isoformat() or doc["data_version"] != ev.data_version(s.conn) \
            or doc["overrides_rev"] != ev.overrides_rev(s.conn, rid):
        return None
    return doc


def evaluate(s: Session, request_id: str, as_of: date, progress: Progress | None = None,
             cancelled: CancelCheck | None = None) -> dict[str, Any]:
    """Evaluate (or reuse the fresh stored evaluation) and return the stored summary document."""
    s.require("read-queue")
    fresh = stored(s, request_id, as_of)
    if fresh is not None:
        return fresh
    rid, pkg, count, _hash = _request(s, request_id)
    settings = s.settings()
    ctx = RequestContext(package=pkg, subject_count=count, as_of=as_of, settings=settings,
                         court_orders=orders.all_orders(s.conn),
                         agency=orders.get_agency(s.conn, pkg.requester.agency_code)
                         if pkg.requester.agency_code else None)
    request_findings = evaluate_request(ctx)
    items = tuple(pkg.items)
    allowed = releasable_items(pkg.authority, pkg) & set(items)
    policy = SubjectPolicy(is_i2=pkg.authority == "6103(i)(2)", periods=valid_periods(ctx),
                           reason_counts=Counter(reason_key(r) for r in ev.reasons(s.conn, rid)
                                                 if r and r.strip()),
                           reason_limit=int(settings["reason_duplicate_limit"]))
    overrides = ev.overrides(s.conn, rid)
    plan = Plan(authority=pkg.authority, items=items, allowed=frozenset(allowed), request_findings=request_findings,
                overrides=overrides)
    code_counts: Counter[tuple[str, str]] = Counter((f.code, f.outcome) for f in request_findings)
    with db.transaction(s.conn):
        ev.clear_results(s.conn, rid)
        batch: list[tuple] = []
        done = 0
        for seq, ref, fields, rows in _grouped(ev.subjects_with_records(s.conn, rid)):
            res = evaluate_subject(policy, **fields, rows=rows,
                                   by_address=lambda k: ev.records_at_address(s.conn, k),
                                   rows_for_tin=lambda t, tt: ev.rows_for_tin(s.conn, t, tt))
            code_counts.update((c, o) for c, o, _m in res.findings)
            released, withheld = build_plan(plan, seq, res)
            batch.append((rid, seq, ref, res.status, res.matched,
                          json.dumps(res.findings, separators=(",", ":")), ",".join(released),
                          ",".join(f"{i}:{c}" for i, c in withheld)))
            if len(batch) >= BATCH:
                ev.insert_results(s.conn, batch)
                done += len(batch)
                batch = []
                if cancelled is not None and cancelled():
                    from ..errors import Cancelled

                    raise Cancelled()
                if progress:
                    progress(done, count)
        ev.insert_results(s.conn, batch)
        counts, plan_hash, fully = _counts_and_hash(s, rid, count)
        complete = fully == count and not any(c == "PERIOD-RECORD" for (c, _o) in code_counts)
        recommendation = recommend(request_findings, counts, plan, complete=complete)
        needs_review = any(o == REVIEW for (_c, o) in code_counts)
        doc = {"evaluated_at": utc_now(), "evaluated_by": s.user, "as_of": as_of.isoformat(),
               "data_version": ev.data_version(s.conn), "overrides_rev": ev.overrides_rev(s.conn, rid),
               "recommendation": recommendation, "needs_review": needs_review, "counts": counts,
               "request_findings": [asdict(f) for f in request_findings],
               "code_counts": _nested(code_counts), "plan_hash": plan_hash}
        ev.save_evaluation(s.conn, rid, doc)
        ev.set_status(s.conn, rid, "evaluated")
        s.log("request-evaluated", request_id, {"recommendation": recommendation, "needs_review": needs_review,
                                                 "counts": counts, "as_of": as_of.isoformat(),
                                                 "plan_hash": plan_hash})
    return doc


def _grouped(rows):  # -> Iterator[tuple[int, str, dict, list]]
    """Fold the joined stream (one row per subject and record year) into one item per subject."""
    current = None
    fields: dict[str, Any] = {}
    recs: list[tuple] = []
    ref = ""
    for row in rows:
        seq = row[0]
        if seq != current:
            if current is not None:
                yield current, ref, fields, recs
            current, ref = seq, row[1]
            fields = {"name": row[2], "tin": row[3], "street": row[4], "city": row[5], "state": row[6],
                      "zip_code": row[7], "periods": row[8], "case_no": row[9], "reason": row[10]}
            recs = []
        if row[11] is not None:
            recs.append(row[11:16])
    if current is not None:
        yield current, ref, fields, recs


def _counts_and_hash(s: Session, rid: int, total: int) -> tuple[dict[str, int], str, int]:
    """Counts per plan outcome, the plan hash (streamed in subject order, never loaded whole) and the
    number of subjects with nothing withheld."""
    h = hashlib.sha256()
    releasable = withheld = no_record = fully = 0
    statuses = dict(s.conn.execute("SELECT seq, status FROM subject_results WHERE rid = ? AND status = "
                                   "'no-record'", (rid,)).fetchall())
    for seq, ref, released, held in ev.plan_rows(s.conn, rid):
        h.update(canonical_json([ref, released, held]) + b"\n")
        if released:
            releasable += 1
            fully += not held
        elif seq in statuses:
            no_record += 1
        else:
            withheld += 1
    counts = {"subjects": total, "releasable": releasable, "withheld": withheld, "no_record": no_record}
    return counts, h.hexdigest(), fully


def _nested(counter: Counter[tuple[str, str]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for (code, outcome), n in sorted(counter.items()):
        out.setdefault(code, {})[outcome] = n
    return out


__all__ = ["BLOCK", "FAIL", "PASS", "citation", "evaluate", "stored"]
