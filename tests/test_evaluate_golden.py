"""The evaluation's result is the same as before the speed work of issue 15, bit for bit.

Golden digests (`tests/data/evaluation_golden.json`, made on main at 1453071, whose evaluation is e3be308's, before
issue 15 touched it; issue 18 only reworded two findings' messages since) of every request of a demo store and of a
differential world (`differential_gen`: every class issue 21 plants), each evaluated in one process and on two
worker processes, as a first evaluation, over the results of the previous one and over stored rows tampered with:
the plan hash and the findings hash the evaluation stores, a digest of every stored subject row (status, matched
taxpayer, findings JSON, plan, MATCH's candidates) and of the summary (recommendation, counts, code counts, request
findings).

Regenerate only when RULES.md changes what a check decides (never to make a speed change pass):
`python tests/test_evaluate_golden.py > tests/data/evaluation_golden.json` from the repository root.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from differential_gen import AS_OF as WORLD_AS_OF
from differential_gen import generate, load_into

from workstation.demo_store import create_demo_store, demo_passphrase
from workstation.service import Session, Workstation
from workstation.store import db
from workstation.store import evaluation as ev

GOLDEN = Path(__file__).parent / "data" / "evaluation_golden.json"
DEMO_DAY = date(2026, 11, 2)
DEMO_AS_OF = date(2026, 11, 10)
DEMO_ARGS = {"taxpayers": 1200, "bulk_subjects": 2500, "seed": 15, "today": DEMO_DAY}
WORLD_SEED, WORLD_SUBJECTS = 15, 2600
WORLD_PASSPHRASE = "golden-world-passphrase-1"
SUMMARY_KEYS = ("recommendation", "needs_review", "counts", "code_counts", "request_findings", "released_items")
# (mode, what is stored before each evaluation): each mode evaluates every request once, in this order
MODES = (("one process", "none"), ("one process", "same"), ("workers", "none"), ("workers", "tampered"),
         ("one process", "tampered"), ("workers", "same"))
TAMPER = (("findings", "[]"), ("status", "releasable"), ("matched", None), ("candidates", "1:SSN"),
          ("released", "x"))


def digest(session: Session, request_id: str, as_of: date, stored: str) -> dict[str, str]:
    """The evaluation of one request, recomputed, as digests. `stored`: what is stored before, "none" (a first
    evaluation), "same" (the results of the previous evaluation) or "tampered" (some rows changed, every column
    of some: a re-evaluation must write each row that differs, and only those may be left alone)."""
    with db.transaction(session.conn):
        ev.bump_data_version(session.conn)          # stale: recomputed
        rid = session.conn.execute("SELECT rid FROM requests WHERE request_id = ?", (request_id,)).fetchone()[0]
        if stored == "none":
            ev.clear_results(session.conn, rid)
        elif stored == "tampered":
            for column, value in TAMPER:
                session.conn.execute(f"UPDATE subject_results SET {column} = ? WHERE rid = ? AND seq % 5 = ?",
                                     (value, rid, TAMPER.index((column, value))))
    doc = session.evaluate(request_id, as_of)
    rows = hashlib.sha256()
    for row in session.conn.execute(
            "SELECT seq, ref, status, matched, findings, released, withheld, candidates FROM subject_results "
            "WHERE rid = (SELECT rid FROM requests WHERE request_id = ?) ORDER BY seq", (request_id,)):
        rows.update(json.dumps(row).encode() + b"\n")
    summary = json.dumps({k: doc[k] for k in SUMMARY_KEYS}, sort_keys=True).encode()
    return {"plan_hash": doc["plan_hash"], "findings_hash": doc["findings_hash"], "rows": rows.hexdigest(),
            "summary": hashlib.sha256(summary).hexdigest()}


def request_ids(session: Session) -> list[str]:
    return [r[0] for r in session.conn.execute("SELECT request_id FROM requests ORDER BY request_id")]


def _set_mode(mp: pytest.MonkeyPatch, mode: str) -> None:
    if mode.startswith("workers"):
        mp.setenv("DWS_EVAL_WORKERS", "2")
        mp.setenv("DWS_EVAL_PARALLEL_MIN", "200")      # the bulk requests run on the workers, in several ranges
    else:
        mp.setenv("DWS_EVAL_WORKERS", "1")


def demo_digests(tmp: Path) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(mode, request id, digests) for every request of a demo store."""
    create_demo_store(tmp / "demo", **DEMO_ARGS)
    for mode, stored in MODES:
        with pytest.MonkeyPatch.context() as mp:
            _set_mode(mp, mode)
            with Workstation(tmp / "demo").unlock("rita", demo_passphrase("rita")) as s:
                for rid in request_ids(s):
                    yield f"{mode}, {stored}", rid, digest(s, rid, DEMO_AS_OF, stored)


def world_digests(tmp: Path) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(mode, request id, digests) for every request of a differential world."""
    world = generate(WORLD_SEED, WORLD_SUBJECTS)
    session, _code, _notice = Workstation(tmp / "world").init("admin", WORLD_PASSPHRASE, bind_device=False)
    with session:
        load_into(session, world, tmp / "files")
        for mode, stored in MODES:
            with pytest.MonkeyPatch.context() as mp:
                _set_mode(mp, mode)
                for req in world.requests:
                    yield f"{mode}, {stored}", req.request_id, digest(session, req.request_id, WORLD_AS_OF, stored)


def all_digests(tmp: Path) -> dict[str, dict[str, dict[str, str]]]:
    out: dict[str, dict[str, dict[str, str]]] = {}
    for source, found in (("demo", demo_digests(tmp)), ("world", world_digests(tmp))):
        for mode, rid, d in found:
            out.setdefault(f"{source} {mode}", {})[rid] = d
    return out


@pytest.fixture(scope="module")
def digests(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict[str, str]]]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DWS_NO_KEYRING", "1")
        return all_digests(tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize("source", ["demo", "world"])
@pytest.mark.parametrize("mode", [f"{m}, {stored}" for m, stored in MODES])
def test_every_request_evaluates_exactly_as_before(digests: dict, source: str, mode: str) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))[source]
    got = digests[f"{source} {mode}"]
    assert got.keys() == golden.keys()
    wrong = {rid: sorted(k for k in golden[rid] if got[rid][k] != golden[rid][k]) for rid in golden
             if got[rid] != golden[rid]}
    assert wrong == {}, f"{source}, {mode}: evaluations that differ from before (what differs): {wrong}"


if __name__ == "__main__":
    os.environ["DWS_NO_KEYRING"] = "1"
    with tempfile.TemporaryDirectory(prefix="dws-golden-") as folder:
        found = all_digests(Path(folder))
    for source in ("demo", "world"):
        # the same in every mode, or there is nothing to be golden about
        first = found[f"{source} one process, none"]
        assert all(found[f"{source} {m}, {stored}"] == first for m, stored in MODES), source
    print(json.dumps({s: found[f"{s} one process, none"] for s in ("demo", "world")}, indent=1, sort_keys=True))
