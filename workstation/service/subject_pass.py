"""One pass of the subject-level checks over a range of a request's subjects (by sequence number), in this
process or in a worker process. A million-subject request is cut into ranges evaluated on every core, and the
caller stores each range's results as soon as the ranges before it are done.

A range reads its subjects front to back (each page of the table decrypted once), looks up all their
addresses together (MATCH tries the name and address of every subject, not only of those the TIN does not
find), and then reads the records of their TINs and of every taxpayer found at their addresses in TIN order
from the covering index `taxpayer_records_match`, on a connection whose page cache holds most of that index
from range to range. The street tokenized for the address look-up serves the ADDRESS check too.
"""

from __future__ import annotations

import gc
import json
from collections import Counter
from dataclasses import dataclass, field
from json.encoder import encode_basestring  # C-accelerated when available
from multiprocessing.util import Finalize
from operator import itemgetter
from pathlib import Path
from typing import Any

from ..compiled import mypyc_attr
from ..rules.plan import Plan
from ..rules.subjects import Residents, SubjectChecker, SubjectPolicy, names_facts, street_parts
from ..store import db
from ..store import evaluation as ev

# (seq, ref, status, matched, findings JSON, released, withheld, candidates) — one subject's stored result row
# (`ev.stored_results`); candidates 'tin:type;tin:type' only when MATCH found more than one taxpayer, else None
Result = tuple[int, str, str, str | None, str, str, str, str | None]

# Page caches of a worker's connections (each page read is decrypted and authenticated: what stays cached from
# range to range is not decrypted again). Subjects are read once, front to back; records are looked up by TIN
# all over the covering index, which stays in its cache; addresses (every subject with a name and a street)
# all over the index on addr_key, kept apart so that they do not push the records out, most of it cached too
# (a look-up that finds its page cached costs a third of one that decrypts it). The records and address
# caches are budgets shared by the workers, so memory does not grow with the number of cores.
SUBJECTS_CACHE_MIB = 8
RECORDS_CACHE_BUDGET_MIB = 768          # 384 MiB each for 2 workers
ADDRESSES_CACHE_BUDGET_MIB = 576        # 288 MiB each for 2 workers (most of the 380 MB index at 5 M records)
_SHAPES_MAX = 100_000       # distinct findings (each encoded once) kept per range


@dataclass(frozen=True)
class Chunk:
    lo: int                 # subjects with lo <= seq < hi
    hi: int

    def __reduce__(self) -> tuple[type[Chunk], tuple[int, int]]:
        return Chunk, (self.lo, self.hi)   # sent to the workers: mypyc's default unpickling sets frozen fields


def chunks(conn: db.Connection, rid: int, parts: int) -> list[Chunk]:
    """About `parts` ranges of subjects of equal size, in subject order."""
    bounds = ev.seq_bounds(conn, rid)
    if bounds is None:
        return []
    lo, last = bounds
    step = max(1, -(-(last + 1 - lo) // max(1, parts)))
    return [Chunk(a, min(a + step, last + 1)) for a in range(lo, last + 1, step)]


@dataclass
class Part:
    """A range of subjects evaluated: the rows to store, the lines to hash, and what the caller sums over the
    request. Only the rows that differ from those already stored travel back and are written (a request's
    subjects never change, so a re-evaluation rewrites only the subjects whose result changed)."""

    subjects: int                            # subjects in the range
    changed: int                             # the rows that differ from the stored ones (written)
    shapes: str                              # those rows packed (`pack_results`)
    rows: str
    plan_lines: bytes                        # `ev.plan_line` of every subject of the range
    findings_lines: bytes                    # "ref TAB findings JSON" of every subject of the range
    codes: Counter[tuple[str, str]]          # (code, outcome) -> subjects with that finding
    plans: Counter[tuple[str, str, str]]     # (status, released, withheld) -> subjects
    # subjects released with some of their own periods withheld (outside the request's): a partial release
    partly: int = 0
    # (seq, matched TIN's nine digits) of the subjects matched to a taxpayer other than the TIN they name, or naming
    # none (an office records them: store/office/matches.py); a subject matched to its own TIN is not among them
    matched_elsewhere: list[tuple[int, str]] = field(default_factory=list)


def run(subjects_conn: db.Connection, records_conn: db.Connection, addresses_conn: db.Connection, rid: int,
        chunk: Chunk, policy: SubjectPolicy, plan: Plan) -> Part:
    """Every subject's result in the range, in subject order (the three connections may be one). The stored
    results of the range are read on `subjects_conn`: the caller holds its write transaction open while the
    ranges are evaluated, so they are the ones its own writes replace."""
    subjects = ev.subjects_in_range(subjects_conn, rid, chunk.lo, chunk.hi)
    # Every subject that can be matched by name and address (a name that passes, a street) is: their
    # addresses are looked up together, and the tokens of the street serve their ADDRESS check too.
    facts = names_facts(map(itemgetter(2), subjects))
    parts = {i: street_parts(row[4], row[5], row[6], row[7]) for i, row in enumerate(subjects)
             if row[4] and facts[i][0] is None}
    keys = {p[1] for p in parts.values()}
    if policy.foia_home:
        keys.add(policy.foia_home)       # a first-party FOIA subject is looked up at the requester's address
    # The records of the subjects' TINs and of every taxpayer at their addresses, in one pass in TIN order.
    on_file: dict[str, list[db.Row]] = {}
    at_address = _AtAddress(addresses_conn, records_conn, on_file)
    # (a subject whose name fails is withheld on NAME alone: its TIN's records are never read)
    at_address.load(keys, {row[11] for row, (msg, _nc) in zip(subjects, facts, strict=True)
                           if row[11] is not None and msg is None})
    by_address = at_address.__getitem__

    def rows_for_tin(tin: str, tin_type: str) -> list[db.Row]:
        rows = on_file.get(tin)
        if rows is None:
            rows = on_file[tin] = ev.records_for_tins(records_conn, [tin]).get(tin, [])
        return [r for r in rows if r[1] == tin_type]

    check = SubjectChecker(policy).check
    own_overrides = plan.seqs_with_own_overrides()
    no_rows: list[db.Row] = []
    partly = 0
    plans: Counter[tuple[str, str, str]] = Counter()
    codes: Counter[tuple[str, str]] = Counter()
    # Results repeat from subject to subject. Per (status, findings): the findings' JSON, the plan of a subject
    # without overrides of its own, how many subjects had it, how many of those had that plan, and the ends of
    # the subject's lines of the plan and the findings hashes (after its ref).
    shapes: dict[tuple[str, tuple[Any, ...]], list[Any]] = {}
    results: list[Result] = []
    plan_lines: list[str] = []
    findings_lines: list[str] = []
    elsewhere: list[tuple[int, str]] = []
    for i, row in enumerate(subjects):
        seq, ref = row[0], row[1]
        res = check(row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10],
                    on_file.get(row[11], no_rows), by_address, rows_for_tin, parts.get(i), facts[i])
        status, findings = res.status, res.findings
        shape = shapes.get((status, findings))
        if shape is None:
            if len(shapes) >= _SHAPES_MAX:
                _tally(shapes, codes, plans)
                shapes.clear()
            encoded = json.dumps(findings, separators=(",", ":"))
            released, withheld = plan.encoded_shared(res)
            shape = shapes[status, findings] = [encoded, released, withheld, 0, 0, f"\t{released}\t{withheld}\n",
                                                f"\t{encoded}\n"]
        shape[3] += 1
        named = ";".join(res.candidates) if res.candidates else None
        if seq in own_overrides:
            released, withheld = plan.encoded(seq, res)
            plans[status, released, withheld] += 1
            results.append((seq, ref, status, res.matched, shape[0], released, withheld, named))
            plan_lines.append(f"{ref}\t{released}\t{withheld}\n")
        else:
            shape[4] += 1
            released = shape[1]
            results.append((seq, ref, status, res.matched, shape[0], released, shape[2], named))
            plan_lines.append(ref + shape[5])
        findings_lines.append(ref + shape[6])
        if res.periods_withheld and released:
            partly += 1
        if res.matched is not None:
            tin = res.matched.partition(":")[0]
            if tin != row[11]:
                elsewhere.append((seq, tin))
    _tally(shapes, codes, plans)
    changed = _changed(results, ev.stored_results(subjects_conn, rid, chunk.lo, chunk.hi))
    return Part(len(results), len(changed), *pack_results(changed), "".join(plan_lines).encode(),
                "".join(findings_lines).encode(), codes, plans, partly, elsewhere)


def pack_results(rows: list[Result]) -> tuple[str, str]:
    """Result rows packed for `ev.replace_packed_results`: (the JSON array of their distinct [status, findings,
    released, withheld], the JSON array of [seq, ref, matched, candidates, index of the row's shape]). The shape
    repeats from subject to subject: it travels and is bound once."""
    shapes: dict[tuple[str, str, str, str], int] = {}
    out = []
    for seq, ref, status, matched, findings, released, withheld, named in rows:
        key = (status, findings, released, withheld)
        shape = shapes.get(key)
        if shape is None:
            shape = shapes[key] = len(shapes)
        out.append(f"[{seq},{encode_basestring(ref)},{'null' if matched is None else encode_basestring(matched)},"
                   f"{'null' if named is None else encode_basestring(named)},{shape}]")
    return json.dumps(list(shapes), ensure_ascii=False), "[" + ",".join(out) + "]"


def _changed(results: list[Result], stored: list[db.Row]) -> list[Result]:
    """The result rows that differ from the stored rows of the same subjects."""
    if not stored:
        return results
    if len(stored) == len(results):            # the usual case: every subject's row is stored, in order
        return [r for r, old in zip(results, stored, strict=True) if r != old]
    by_seq = {old[0]: old for old in stored}
    return [r for r in results if r != by_seq.get(r[0])]


@mypyc_attr(native_class=False)   # a dict subclass (`__missing__`): a Python class when compiled
class _AtAddress(dict[str, Residents]):
    """addr_key -> the taxpayers with a row at that address, each with every name it has filed under (on any
    row: MATCH pairs a name and an address across rows), looked up for a whole range at once; a key the range
    did not see coming is looked up alone. Fills `on_file` (tin -> its record rows) for those taxpayers."""

    def __init__(self, addresses: db.Connection, records: db.Connection, on_file: dict[str, list[db.Row]]) -> None:
        super().__init__()
        self.addresses, self.records, self.on_file = addresses, records, on_file
        self.nobody = Residents()

    def load(self, keys: set[str], tins: set[str]) -> None:
        """The records at `keys`, the rows of `tins` and of every taxpayer at `keys` (in TIN order), and the
        names those taxpayers filed under at their other addresses (from the address index)."""
        here = ev.records_at_addresses(self.addresses, keys)
        names: dict[str, set[tuple[str, str]]] = {}
        for found in here.values():
            for t, tt, n in found:
                filed = names.get(t)
                if filed is None:
                    names[t] = {(tt, n)}
                else:
                    filed.add((tt, n))
        wanted = (tins | names.keys()) - self.on_file.keys()
        self.on_file.update(ev.records_for_tins(self.records, sorted(wanted)))
        on_file = self.on_file
        elsewhere = {(r[3], t) for t in names for r in on_file.get(t, ()) if r[3] not in here}
        for t, more in ev.names_filed(self.addresses, elsewhere).items():
            names[t] |= more
        # Most keys have nobody on file (an address never filed from): they share one empty answer.
        self.update(dict.fromkeys(keys - here.keys(), self.nobody))
        for key, found in here.items():
            residents = dict.fromkeys((t, tt) for t, tt, _n in found)
            self[key] = Residents((t, tt, n) for t, tt in residents for ntt, n in names[t] if ntt == tt)

    def __missing__(self, key: str) -> Residents:
        self.load({key}, set())
        return self[key]


def _tally(shapes: dict[tuple[str, tuple[Any, ...]], list[Any]], codes: Counter[tuple[str, str]],
           plans: Counter[tuple[str, str, str]]) -> None:
    for (status, findings), (_json, released, withheld, subjects, shared, *_lines) in shapes.items():
        for code, outcome, _message in findings:
            codes[code, outcome] += subjects
        if shared:
            plans[status, released, withheld] += shared


# -- worker processes ------------------------------------------------------------------------------------

_connections: tuple[db.Connection, db.Connection, db.Connection] | None = None


def cache_sizes(workers: int) -> tuple[int, int, int]:
    """Page cache (MiB) of each worker's subjects, records and addresses connection."""
    n = max(1, workers)
    return SUBJECTS_CACHE_MIB, RECORDS_CACHE_BUDGET_MIB // n, ADDRESSES_CACHE_BUDGET_MIB // n


def start_worker(db_path: Path, data_key: bytes | None, workers: int) -> None:
    """Initializer of a worker process: its own read-only connections to the same encrypted store (subjects,
    records, addresses), kept for every range it is given. Run by `processes.start_worker` (evaluation._pool),
    after the worker has made sure it dies with its parent."""
    global _connections
    gc.disable()                # a worker's objects are acyclic and short-lived; it lives for one evaluation
    subjects, records, addresses = (db.connect(db_path, data_key, cache_mib=mib) for mib in cache_sizes(workers))
    _connections = (subjects, records, addresses)
    for conn in _connections:
        Finalize(None, conn.close, exitpriority=10)


def ready() -> bool:
    """A task that only makes the pool start a worker (it opens its connections while the caller prepares)."""
    return _connections is not None


def run_in_worker(rid: int, chunk: Chunk, policy: SubjectPolicy, plan: Plan) -> Part:
    if _connections is None:
        raise RuntimeError("evaluation worker not started")
    return run(*_connections, rid, chunk, policy, plan)
