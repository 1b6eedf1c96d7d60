"""One pass of the subject-level checks over a range of a request's subjects (by sequence number), in this
process or in a worker process. A million-subject request is cut into ranges evaluated on every core, and the
caller stores each range's results as soon as the ranges before it are done.

A range reads its subjects front to back (each page of the table decrypted once) and then the records of
their TINs in TIN order from the covering index `taxpayer_records_match`, on a connection whose page cache
holds most of that index from range to range. Subjects whose TIN finds no record are matched by name and
address: their addresses are looked up together, and the street tokenized for that serves the ADDRESS check.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import partial
from multiprocessing.util import Finalize
from pathlib import Path

from ..normalize import tin_digits
from ..rules.plan import Plan
from ..rules.subjects import SubjectChecker, SubjectPolicy, name_facts, street_parts
from ..store import db
from ..store import evaluation as ev

# (seq, ref, status, matched, findings JSON, released, withheld) — one subject's stored result
Result = tuple[int, str, str, str | None, str, str, str]

SUBJECTS_CACHE_MIB = 8      # a worker reads its ranges of subjects once, front to back
RECORDS_CACHE_MIB = 384     # ... and looks up records all over the index: most of it stays in this cache
_SHAPES_MAX = 100_000       # distinct findings (each encoded once) kept per range


@dataclass(frozen=True)
class Chunk:
    lo: int                 # subjects with lo <= seq < hi
    hi: int


def chunks(conn: db.Connection, rid: int, parts: int) -> list[Chunk]:
    """About `parts` ranges of subjects of equal size, in subject order."""
    bounds = ev.seq_bounds(conn, rid)
    if bounds is None:
        return []
    lo, last = bounds
    step = max(1, -(-(last + 1 - lo) // max(1, parts)))
    return [Chunk(a, min(a + step, last + 1)) for a in range(lo, last + 1, step)]


def run(subjects_conn: db.Connection, records_conn: db.Connection, rid: int, chunk: Chunk, policy: SubjectPolicy,
        plan: Plan) -> tuple[list[Result], Counter[tuple[str, str]]]:
    """Every subject's result in the range, in subject order, and the count of each (code, outcome) found."""
    subjects = ev.subjects_in_range(subjects_conn, rid, chunk.lo, chunk.hi)
    on_file = ev.records_for_tins(records_conn, sorted({row[11] for row in subjects if row[11] is not None}))
    # Those that will be matched by name and address: a name that passes, a street, and no record for the TIN.
    parts = {i: street_parts(row[4], row[5], row[6], row[7]) for i, row in enumerate(subjects)
             if row[4] and (row[11] not in on_file or not (row[3] and tin_digits(row[3])))
             and name_facts(row[2])[0] is None}
    at_address = ev.records_at_addresses(records_conn, {p[1] for p in parts.values()})

    def by_address(key: str) -> list[tuple[str, str, str]]:
        return at_address.get(key, [])

    rows_for_tin = partial(ev.rows_for_tin, records_conn)
    check = SubjectChecker(policy).check
    no_rows: list[tuple] = []
    counts: Counter[tuple[str, str]] = Counter()
    shapes: dict[tuple, list] = {}      # findings repeat from subject to subject: [JSON, subjects] per shape
    results: list[Result] = []
    append = results.append
    for i, row in enumerate(subjects):
        seq = row[0]
        res = check(row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10],
                    on_file.get(row[11], no_rows), by_address, rows_for_tin, parts.get(i))
        findings = res.findings
        shape = shapes.get(findings)
        if shape is None:
            if len(shapes) >= _SHAPES_MAX:
                _count(shapes, counts)
                shapes.clear()
            shape = shapes[findings] = [json.dumps(findings, separators=(",", ":")), 0]
        shape[1] += 1
        released, withheld = plan.encoded(seq, res)
        append((seq, row[1], res.status, res.matched, shape[0], released, withheld))
    _count(shapes, counts)
    return results, counts


def _count(shapes: dict[tuple, list], counts: Counter[tuple[str, str]]) -> None:
    for findings, (_json, n) in shapes.items():
        for code, outcome, _message in findings:
            counts[code, outcome] += n


# -- worker processes ------------------------------------------------------------------------------------

_connections: tuple[db.Connection, db.Connection] | None = None


def start_worker(db_path: Path, data_key: bytes) -> None:
    """Initializer of a worker process: its own read-only connections to the same encrypted store, kept for
    every range it is given (one for the subjects, one with a large cache for the records)."""
    global _connections
    subjects = db.connect(db_path, data_key, cache_mib=SUBJECTS_CACHE_MIB)
    records = db.connect(db_path, data_key, cache_mib=RECORDS_CACHE_MIB)
    _connections = (subjects, records)
    Finalize(None, subjects.close, exitpriority=10)
    Finalize(None, records.close, exitpriority=10)


def ready() -> bool:
    """A task that only makes the pool start a worker (it opens its connections while the caller prepares)."""
    return _connections is not None


def run_in_worker(rid: int, chunk: Chunk, policy: SubjectPolicy, plan: Plan
                  ) -> tuple[list[Result], Counter[tuple[str, str]]]:
    if _connections is None:
        raise RuntimeError("evaluation worker not started")
    return run(*_connections, rid, chunk, policy, plan)
