"""`evaluate`: every check for the request and each subject, the release plan, the recommendation.

The result is stored (one row per subject) so a request opens at once later; it is recomputed when an
input changes: records, court orders, agency entries or settings (the store's data version), the
request's overrides, or the evaluation date.
"""

from __future__ import annotations

import os
import re
from collections import Counter, deque
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, cast

from ..canonical import utc_now
from ..codec import package_from_json
from ..crypto import digest
from ..errors import Cancelled, InputError
from ..model import RequestPackage
from ..normalize import name_control, normalize_name, tin_digits
from ..processes import gc_paused, worker_pool
from ..results import EvaluationCounts, EvaluationDoc, FindingDoc
from ..rules.checks_request import RequestContext, evaluate_request, valid_periods
from ..rules.checks_subject import check_name
from ..rules.findings import releasable_items
from ..rules.plan import Plan, provisional, recommend
from ..rules.subjects import SubjectPolicy, street_parts
from ..store import db, orders
from ..store import evaluation as ev
from . import subject_pass
from .context import CancelCheck, Ctx, Progress

PARALLEL_MIN = 20_000       # requests with at least this many subjects are evaluated on every core
MAX_WORKERS = 4
CHUNK_SUBJECTS = 12_500     # subjects per range: evaluated as a unit, then stored while the next ones run
AHEAD = 3                   # ranges per worker handed out ahead of the writing


def _request(s: Ctx, request_id: str) -> tuple[int, RequestPackage, int, str]:
    row = ev.package(s.conn, request_id)
    if row is None:
        raise InputError(f"no request {request_id!r} in the store (see 'dws list')")
    rid, package_json, count, package_hash = row
    return rid, package_from_json(package_json), count, package_hash


def stored(s: Ctx, request_id: str, as_of: date) -> EvaluationDoc | None:
    """The stored evaluation when none of its inputs changed since, else None."""
    rid, _pkg, _n, _h = _request(s, request_id)
    doc = ev.load_evaluation(s.conn, rid)
    if doc is None or not doc["findings_hash"] or doc["as_of"] != as_of.isoformat() \
            or doc["data_version"] != ev.data_version(s.conn) \
            or doc["overrides_rev"] != ev.overrides_rev(s.conn, rid):
        return None
    return doc


def evaluate(s: Ctx, request_id: str, as_of: date, progress: Progress | None = None,
             cancelled: CancelCheck | None = None, keep_results: bool = True,
             matches: list[tuple[int, str]] | None = None) -> EvaluationDoc:
    """Evaluate (or reuse the fresh stored evaluation) and return the stored summary document. Without
    `keep_results` the subjects' results are not written, only counted and hashed: for a store removed right
    after it is read for the summary alone (an office evaluation's working copy for `dws evaluate --summary`),
    never for one whose preview, decision or letters read them. `matches` receives the (seq, matched TIN's nine
    digits) of every subject matched to a taxpayer other than the TIN it names, or naming none (an office's working
    copy: the office records them, store/office/matches.py)."""
    s.require("read-queue")
    fresh = stored(s, request_id, as_of)
    if fresh is not None:
        return fresh
    rid, pkg, count, _hash = _request(s, request_id)
    # Large requests: the worker processes start (and open the store) while this one prepares. No cyclic
    # collection meanwhile: in the GUI a full collection over the results would freeze the window.
    with gc_paused(), _pool(s, _workers(count)) as pool:
        settings = s.settings()
        ctx = RequestContext(package=pkg, subject_count=count, as_of=as_of, settings=settings,
                             court_orders=orders.all_orders(s.conn),
                             agency=orders.get_agency(s.conn, pkg.requester.agency_code)
                             if pkg.requester.agency_code else None)
        request_findings = evaluate_request(ctx)
        items = tuple(pkg.items)
        allowed = releasable_items(pkg.authority, pkg) & set(items)
        limit = int(settings["reason_duplicate_limit"])
        policy = SubjectPolicy(is_i2=pkg.authority == "6103(i)(2)", periods=valid_periods(ctx),
                               # only the reasons shared beyond the limit matter (and travel to the workers)
                               reason_counts={k: n for k, n in ev.shared_reasons(s.conn, rid).items()
                                              if n - 1 > limit},
                               reason_limit=limit, **bound_party(pkg))
        overrides = ev.overrides(s.conn, rid)
        plan = Plan(authority=pkg.authority, items=items, allowed=frozenset(allowed),
                    request_findings=request_findings, overrides=overrides)
        code_counts: Counter[tuple[str, str]] = Counter((f.code, f.outcome) for f in request_findings)
        # Ranges of subjects arrive in subject order and are written while the workers evaluate the next ones:
        # the table is written front to back and nothing waits for the whole request. The write transaction
        # is open before any range is evaluated: the stored rows each range is compared with (only those that
        # changed are written) are then the ones this transaction replaces, whoever else writes meanwhile.
        with db.transaction(s.conn), \
                closing(_subject_results(s, rid, count, policy, plan, pool, progress, cancelled)) as parts:
            counts, plan_hash, findings_hash, released_items, fully = _store_results(
                s, rid, count, parts, code_counts, cancelled, keep_results, matches)
            # a requested year with no record is "no record" and does not make a grant partial (RULES.md Outcomes)
            complete = fully == count
            recommendation = recommend(request_findings, counts, plan, complete=complete)
            needs_review = provisional(recommendation, code_counts)
            doc: EvaluationDoc = {"evaluated_at": utc_now(), "evaluated_by": s.user, "as_of": as_of.isoformat(),
                                  "data_version": ev.data_version(s.conn),
                                  "overrides_rev": ev.overrides_rev(s.conn, rid),
                                  "recommendation": recommendation, "needs_review": needs_review, "counts": counts,
                                  # a Finding's fields, in their order (the stored bytes are hashed and compared)
                                  "request_findings": [cast(FindingDoc, asdict(f)) for f in request_findings],
                                  "code_counts": _nested(code_counts), "plan_hash": plan_hash,
                                  "findings_hash": findings_hash,
                                  "released_items": ",".join(i for i in items if i in released_items)}
            ev.save_evaluation(s.conn, rid, doc)
            ev.set_status(s.conn, rid, "evaluated")
            s.log("request-evaluated", request_id, {"recommendation": recommendation,
                                                     "needs_review": needs_review, "counts": counts,
                                                     "as_of": as_of.isoformat(), "plan_hash": plan_hash})
    return doc


def bound_party(pkg: RequestPackage) -> dict[str, Any]:
    """The one taxpayer an authority is bound to, as `SubjectPolicy` fields: under (c) the consent's taxpayer
    (its TIN and the name control of the name it gives; nobody when there is no consent), under FOIA the
    requester who signed (a first-party request covers that person only)."""
    if pkg.authority == "6103(c)":
        consent = pkg.consent
        if consent is None or check_name(consent.taxpayer_name) is not None:
            return {"consent_taxpayer": ("", "")}
        return {"consent_taxpayer": (tin_digits(consent.taxpayer_tin or "") or "", name_control(consent.taxpayer_name))}
    if pkg.authority == "foia":
        return {"foia_requester": normalize_name(pkg.signer.name or ""), "foia_home": _home(pkg)}
    return {}


_LAST_LINE = re.compile(r"^\s*(.+?),?\s+([A-Za-z]{2})\.?\s+(\d{5}(?:-?\d{4})?)\s*$")


def _home(pkg: RequestPackage) -> str | None:
    """The address key of the requester's mailing address ("street", ..., "City, ST ZIP"), or None when it
    does not read as one (then no subject is the first party)."""
    lines = [line.strip() for line in pkg.requester.address_lines if line.strip()]
    found = _LAST_LINE.match(lines[-1]) if len(lines) >= 2 else None
    if found is None:
        return None
    city, state, zip_code = found.groups()
    return street_parts(lines[0], city.rstrip(","), state, zip_code)[1]


@contextmanager
def _pool(s: Ctx, workers: int) -> Iterator[_Pool | None]:
    """Worker processes (none when `workers` is 1), each started with its own connections to the store."""
    if workers == 1:
        yield None
        return
    executor = worker_pool(workers, "workstation.service.subject_pass:start_worker",
                           (s.database_file(), s.data_key_for_workers(), workers))
    try:
        for _ in range(workers):
            executor.submit(subject_pass.ready)
        yield _Pool(executor, workers)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True)
class _Pool:
    executor: ProcessPoolExecutor
    workers: int


def _subject_results(s: Ctx, rid: int, count: int, policy: SubjectPolicy, plan: Plan, pool: _Pool | None,
                     progress: Progress | None, cancelled: CancelCheck | None
                     ) -> Generator[subject_pass.Part, None, None]:
    """Every subject's result, in ranges of subjects in subject order, evaluated here or, for large requests,
    on every core. The first ranges are handed to the workers at once, the others as ranges are written; each
    is yielded as soon as it and those before it are done."""
    done = 0

    def collected(part: subject_pass.Part) -> subject_pass.Part:
        nonlocal done
        done += part.subjects
        if cancelled is not None and cancelled():
            raise Cancelled()
        if progress:
            progress(done, count)
        return part

    if pool is None:
        def here() -> Generator[subject_pass.Part, None, None]:
            for chunk in subject_pass.chunks(s.conn, rid, -(-count // CHUNK_SUBJECTS)):
                yield collected(subject_pass.run(s.conn, s.conn, s.conn, rid, chunk, policy, plan))
        return here()
    parts = max(pool.workers * 4, -(-count // CHUNK_SUBJECTS))
    waiting = deque(subject_pass.chunks(s.conn, rid, parts))
    futures: deque[Future[subject_pass.Part]] = deque()

    def hand_out() -> None:
        # At most AHEAD ranges per worker handed out and not yet written: when the writing falls behind (a first
        # evaluation writes every row), the workers wait and the writing gets the cores, instead of the last
        # ranges being written alone at the end (and their results held meanwhile).
        while waiting and len(futures) < pool.workers * AHEAD:
            futures.append(pool.executor.submit(subject_pass.run_in_worker, rid, waiting.popleft(), policy, plan))

    hand_out()

    def arriving() -> Generator[subject_pass.Part, None, None]:
        try:
            while futures:
                part = futures[0].result()
                futures.popleft()           # a range's results are held only until they are written
                hand_out()
                yield collected(part)
        finally:
            for future in futures:
                future.cancel()
    return arriving()


def _workers(count: int) -> int:
    """Worker processes for a request of `count` subjects. DWS_EVAL_WORKERS (1 = evaluate in this process) and
    DWS_EVAL_PARALLEL_MIN let an administrator — and the tests — choose."""
    try:
        workers = int(os.environ.get("DWS_EVAL_WORKERS", "0")) or min(os.cpu_count() or 1, MAX_WORKERS)
        threshold = int(os.environ.get("DWS_EVAL_PARALLEL_MIN", PARALLEL_MIN))
    except ValueError:
        raise InputError("DWS_EVAL_WORKERS and DWS_EVAL_PARALLEL_MIN must be whole numbers") from None
    return max(1, workers) if count >= threshold else 1


def _store_results(s: Ctx, rid: int, total: int, parts: Iterator[subject_pass.Part],
                   code_counts: Counter[tuple[str, str]], cancelled: CancelCheck | None, keep: bool = True,
                   matches: list[tuple[int, str]] | None = None) -> tuple[EvaluationCounts, str, str, set[str], int]:
    """Write the results in subject order; return the counts, the plan hash, the findings hash, the elements
    released to anyone and the number of subjects with nothing withheld, none of their own periods either (all
    in the same single pass)."""
    plan, findings = digest.Hasher(), digest.Hasher()
    plans: Counter[tuple[str, str, str]] = Counter()
    partly = 0
    for part in parts:
        partly += part.partly
        code_counts.update(part.codes)
        plans.update(part.plans)
        plan.update(part.plan_lines)
        findings.update(part.findings_lines)
        if cancelled is not None and cancelled():
            raise Cancelled()
        if part.changed and keep:
            ev.replace_packed_results(s.conn, rid, part.shapes, part.rows)
        if matches is not None:
            matches += part.matched_elsewhere
    releasable = withheld = no_record = fully = 0
    released_sets: set[str] = set()
    for (status, released, held), n in plans.items():
        if released:
            releasable += n
            fully += n if not held else 0
            released_sets.add(released)
        elif status == "no-record":
            no_record += n
        else:
            withheld += n
    counts: EvaluationCounts = {"subjects": total, "releasable": releasable, "withheld": withheld,
                                "no_record": no_record}
    released_items = {item for r in released_sets for item in r.split(",")}
    return counts, plan.hexdigest(), findings.hexdigest(), released_items, fully - partly


def _nested(counter: Counter[tuple[str, str]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for (code, outcome), n in sorted(counter.items()):
        out.setdefault(code, {})[outcome] = n
    return out


__all__ = ["evaluate", "stored"]
