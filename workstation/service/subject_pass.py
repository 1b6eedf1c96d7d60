"""One pass of the subject-level checks over a range of a request's subjects (by TIN), in this process or in
a worker process. A million-subject request is cut into TIN ranges evaluated on every core; each range
reads its subjects and their records in TIN order, so the encrypted pages are read once and in order.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..normalize import address_key
from ..rules.plan import Plan, build_plan
from ..rules.subjects import SubjectPolicy, evaluate_subject
from ..store import db
from ..store import evaluation as ev

# (seq, ref, status, matched, findings JSON, released, withheld) — one subject's stored result
Result = tuple[int, str, str, str | None, str, str, str]


@dataclass(frozen=True)
class Chunk:
    lo: str | None          # tin9 range [lo, hi); both None: the subjects without a nine-digit TIN
    hi: str | None
    null: bool = False


def chunks(conn: db.Connection, rid: int, parts: int) -> list[Chunk]:
    """About `parts` TIN ranges of equal size, plus one chunk for subjects without a usable TIN."""
    tins = [t for (t,) in conn.execute("SELECT tin9 FROM subjects INDEXED BY subjects_tin9 WHERE rid = ? "
                                       "AND tin9 IS NOT NULL ORDER BY tin9", (rid,))]
    bounds: list[str | None] = [None]
    step = max(1, len(tins) // max(1, parts))
    for i in range(step, len(tins), step):
        if tins[i] != bounds[-1]:
            bounds.append(tins[i])
    bounds.append(None)
    out = [Chunk(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)] if tins else []
    return [*out, Chunk(None, None, null=True)]


def run(conn: db.Connection, rid: int, chunk: Chunk, policy: SubjectPolicy, plan: Plan
        ) -> tuple[list[Result], Counter[tuple[str, str]]]:
    counts: Counter[tuple[str, str]] = Counter()
    where, args = _where(chunk)
    at_address = ev.records_at_addresses(
        conn, (address_key(*a) for a in ev.unmatched_addresses(conn, rid, where, args)))
    encoded: dict[tuple, str] = {}      # findings repeat from subject to subject: encode each shape once
    results: list[Result] = []
    for seq, ref, fields, rows in _grouped(ev.subjects_with_records(conn, rid, where, args)):
        res = evaluate_subject(policy, **fields, rows=rows, by_address=lambda k: at_address.get(k, ()),
                               rows_for_tin=lambda t, tt: ev.rows_for_tin(conn, t, tt))
        counts.update((c, o) for c, o, _m in res.findings)
        released, withheld = build_plan(plan, seq, res)
        findings_json = encoded.get(res.findings)
        if findings_json is None:
            if len(encoded) > 100_000:
                encoded.clear()
            findings_json = encoded[res.findings] = json.dumps(res.findings, separators=(",", ":"))
        results.append((seq, ref, res.status, res.matched, findings_json, ",".join(released),
                        ",".join(f"{i}:{c}" for i, c in withheld)))
    results.sort()          # subject order, here in the worker: the caller only merges sorted chunks
    return results, counts


def run_in_worker(db_path: Path, data_key: bytes, rid: int, chunk: Chunk, policy: SubjectPolicy, plan: Plan
                  ) -> tuple[list[Result], Counter[tuple[str, str]]]:
    """Entry point of a worker process: its own read-only connection to the same encrypted store."""
    conn = db.connect(db_path, data_key, cache_mib=256)
    try:
        return run(conn, rid, chunk, policy, plan)
    finally:
        conn.close()


def _where(chunk: Chunk) -> tuple[str, tuple[Any, ...]]:
    if chunk.null:
        return "s.tin9 IS NULL", ()
    clauses, args = ["s.tin9 IS NOT NULL"], []
    if chunk.lo is not None:
        clauses.append("s.tin9 >= ?")
        args.append(chunk.lo)
    if chunk.hi is not None:
        clauses.append("s.tin9 < ?")
        args.append(chunk.hi)
    return " AND ".join(clauses), tuple(args)


def _grouped(rows: Iterator[tuple]) -> Iterator[tuple[int, str, dict[str, Any], list[tuple]]]:
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
