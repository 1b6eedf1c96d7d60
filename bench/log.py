"""Audit-log benchmark (issue 12): the Merkle tree and its signed checkpoints over a 1,000,000-entry log.

    .venv/bin/python bench/log.py [--entries 1000000] [--appends 300] [--work DIR] [--keep]

Targets: a checkpoint of the whole log <= 0.5 s; a consistency proof from the checkpoint at half the log to
the whole log, produced from the stored tree and checked, <= 0.5 s; appending an entry with its tree nodes
<= 1.2x the same append without them; `dws verify --against` (the chain, every signature, the tree
recomputed from the entries, two checkpoints) <= 12 s, beside plain `dws verify` for comparison.

Inputs, built once per work folder: a store with --entries log entries chained exactly as the service chains
them and their tree built by logtree.extend (as migration 0009 does). The append comparison runs on a copy:
the same `Session.log` in its own transaction each time (as every service call logs), alternately with and
without the tree step (logtree.append_leaf replaced by a no-op), medians of rounds of --appends / 10.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from decide import append_entries

from workstation import checkpoint as cp
from workstation import merkle
from workstation.service import Workstation
from workstation.store import db, logtree

PASS = {"admin": "bench-admin-passphrase", "otto": "bench-otto-passphrase"}


def build(store: Path, entries: int) -> None:
    s, _code, _ = Workstation(store).init("admin", PASS["admin"], bind_device=False)
    s.add_user("otto", "auditor", PASS["otto"])
    append_entries(s.conn, entries - 4)            # init and add_user wrote 4; extend builds the tree
    s.close()


def timed(label: str, fn, limit: float | None, figures: dict, unit: str = "s") -> float:
    t, c = time.perf_counter(), time.process_time()
    fn()
    dt, cpu = time.perf_counter() - t, time.process_time() - c
    figures[label] = {"seconds": round(dt, 4), "cpu_seconds": round(cpu, 4), "limit": limit,
                      "pass": None if limit is None else dt <= limit}
    verdict = "" if limit is None else f"limit {limit:5.2f} s   {'PASS' if dt <= limit else 'FAIL'}"
    print(f"  {label:<48} {dt:9.3f} s (CPU {cpu:7.3f} s)   {verdict}")
    return dt


def append_ratio(store: Path, appends: int, figures: dict) -> None:
    rounds = max(2, appends // 10)
    per = max(1, appends // rounds)
    with_tree: list[float] = []
    without: list[float] = []
    with Workstation(store).unlock("admin", PASS["admin"]) as s:
        def one_round() -> float:
            t = time.perf_counter()
            for i in range(per):
                with db.transaction(s.conn):
                    s.log("preview-viewed", "BENCH-LOG", {"ref": str(i), "released": ["name"]})
            return (time.perf_counter() - t) / per

        for r in range(2 * rounds):
            if r % 2 == 0:
                with_tree.append(one_round())
            else:
                # the same append without the tree: the leaves are then added back so the next rounds see a
                # whole tree (outside the measured time)
                with mock.patch.object(logtree, "append_leaf", lambda *_a, **_k: None):
                    without.append(one_round())
                with db.transaction(s.conn):
                    logtree.extend(s.conn)
        batch_with, batch_without = [], []
        for r in range(4):                         # a thousand appends in one transaction: the CPU-bound case
            patch = mock.patch.object(logtree, "append_leaf", lambda *_a, **_k: None) if r % 2 else None
            t = time.perf_counter()
            with db.transaction(s.conn):
                if patch:
                    patch.start()
                for i in range(1000):
                    s.log("preview-viewed", "BENCH-LOG", {"ref": str(i), "released": ["name"]})
                if patch:
                    patch.stop()
            (batch_without if patch else batch_with).append((time.perf_counter() - t) / 1000)
            with db.transaction(s.conn):
                logtree.extend(s.conn)
    w, wo = statistics.median(with_tree), statistics.median(without)
    bw, bwo = statistics.median(batch_with), statistics.median(batch_without)
    figures["append (own transaction)"] = {"with_tree_ms": round(w * 1000, 3), "without_ms": round(wo * 1000, 3),
                                           "ratio": round(w / wo, 3), "limit": 1.2, "pass": w / wo <= 1.2}
    figures["append (1,000 per transaction)"] = {"with_tree_ms": round(bw * 1000, 4),
                                                 "without_ms": round(bwo * 1000, 4), "ratio": round(bw / bwo, 3)}
    print(f"  {'append, own transaction (as the service logs)':<48} {w * 1000:7.3f} ms with tree, "
          f"{wo * 1000:7.3f} ms without: {w / wo:5.2f}x   limit 1.20x   {'PASS' if w / wo <= 1.2 else 'FAIL'}")
    print(f"  {'append, 1,000 in one transaction (information)':<48} {bw * 1000:7.4f} ms with tree, "
          f"{bwo * 1000:7.4f} ms without: {bw / bwo:5.2f}x")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--appends", type=int, default=300)
    ap.add_argument("--work", type=Path)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("DWS_NO_KEYRING", "1")
    work = args.work or Path(tempfile.mkdtemp(prefix="dws-bench-log-"))
    pristine = work / f"log-{args.entries}"
    print(f"log benchmark: {args.entries:,} log entries; load {os.getloadavg()}")
    if not (pristine / "keyslots.json").exists():
        t = time.perf_counter()
        build(pristine, args.entries)
        print(f"  (store built in {time.perf_counter() - t:.1f} s)")
    store = work / "run"
    shutil.rmtree(store, ignore_errors=True)
    shutil.copytree(pristine, store)
    figures: dict = {}
    half = work / "half.checkpoint"
    with Workstation(store).unlock("otto", PASS["otto"]) as s:
        n = logtree.size(s.conn)
        timed(f"checkpoint of the whole log ({n:,} entries)", s.checkpoint, 0.5, figures)
        key = s._store.checkpoint_key
        assert key is not None
        m = n // 2
        name = cp.key_name("otto", logtree.store_id(s.conn))
        half.write_text(cp.make(cp.origin(logtree.store_id(s.conn)), m, logtree.root(s.conn, m), name, key).note,
                        encoding="utf-8")

        def consistency() -> None:
            nodes = logtree.node_source(s.conn)
            proof = merkle.consistency_proof(nodes, m, n)
            assert merkle.verify_consistency(m, n, logtree.root(s.conn, m), logtree.root(s.conn, n), proof)

        timed(f"consistency proof {m:,} -> {n:,}, made + checked", consistency, 0.5, figures)
        whole = work / "whole.checkpoint"
        whole.write_text(s.checkpoint().note, encoding="utf-8")
    with Workstation(store).unlock("otto", PASS["otto"]) as s:
        reports = {}
        timed(f"verify ({n:,} entries; information)", lambda: reports.update(plain=s.verify()), None, figures)
        timed("verify --against 2 checkpoints", lambda: reports.update(against=s.verify([half, whole])), 12.0,
              figures)
        assert reports["plain"].ok and reports["against"].ok, reports["against"].problems
        assert all(w.ok for w in reports["against"].witnesses)
    append_ratio(store, args.appends, figures)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"  peak RSS {rss} MB; load {os.getloadavg()}")
    print("JSON " + json.dumps({"bench": "log", "entries": args.entries, "figures": figures, "peak_rss_mb": rss,
                                "load": os.getloadavg()}))
    shutil.rmtree(store, ignore_errors=True)
    if not args.keep and args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
