"""Differential benchmark (issue 21): the product against the reference evaluator at full size.

    .venv/bin/python bench/differential.py [--subjects M] [--records N] [--work DIR] [--keep] [--seed S]

Generates (`tests/differential_gen.py`, seeded) M subjects over every planted class — bulk (i)(2) requests of
at most 50,000 subjects, one (i)(1) request, (c) consents and first-party FOIA requests — and filler taxpayers
until the records reach N rows (default 1,280,000 subjects against 5,000,000 records); imports the records,
a corrections file and every request into a new encrypted store through the service `Session`, evaluates
every request (the bulk ones on the worker processes), reads the per-subject release plan the product
stored, and judges every subject again with `tests/reference_evaluator.py` (RULES.md alone). Prints, by
class: released-but-withheld, withheld-but-releasable, period differences (a year released or "no record"
differently) and category differences (both withhold, on a code the reference does not find); then the
timings and one JSON line.
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import common
from differential_gen import AS_OF, LOOSE, compare, generate, load_into, product_outcomes, table


def main() -> None:
    p = common.parser(__doc__.splitlines()[0])
    args = p.parse_args()
    print(f"differential benchmark: {args.subjects:,} subjects, {args.records:,} record rows; "
          f"{common.machine()['uptime']}", flush=True)
    times: dict[str, float] = {}
    with common.work_folder(args, "dws-bench-differential-") as work:
        t0 = time.perf_counter()
        world = generate(args.seed, args.subjects, args.records)
        times["generate"] = time.perf_counter() - t0
        rows = len(world.base) + len(world.corrections)
        subjects = sum(len(r.subjects) for r in world.requests)
        print(f"  generated {subjects:,} subjects in {len(world.requests)} requests, {rows:,} record rows "
              f"({len(world.corrections):,} corrections) in {times['generate']:.1f} s", flush=True)

        folder = work / "eval" / "differential"
        session = common.new_store(folder / "store")
        with session:
            t0 = time.perf_counter()
            load_into(session, world, folder / "files")
            times["import (records, corrections, requests)"] = time.perf_counter() - t0
            print(f"  imported in {times['import (records, corrections, requests)']:.1f} s", flush=True)
            product = {}
            t0 = time.perf_counter()
            for req in world.requests:
                session.evaluate(req.request_id, AS_OF)
            times["product: evaluate every request"] = time.perf_counter() - t0
            print(f"  product evaluated in {times['product: evaluate every request']:.1f} s", flush=True)
            t0 = time.perf_counter()
            for req in world.requests:
                product[req.request_id] = product_outcomes(session, req)
            times["product: read the stored plans"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        records = world.records()
        by_class = compare(world, product, records, examples=2)
        times["reference: evaluate and compare"] = time.perf_counter() - t0

    print("\nproduct vs reference (RULES.md), by class:\n")
    print(table(by_class))
    decided = {c: t for c, t in by_class.items() if c not in LOOSE}
    rbw = sum(t.released_but_withheld for t in decided.values())
    wbr = sum(t.withheld_but_releasable for t in decided.values())
    per = sum(t.periods for t in decided.values())
    loose_rbw = sum(t.released_but_withheld for c, t in by_class.items() if c in LOOSE)
    print(f"\nclasses RULES.md decides: {rbw:,} released-but-withheld, {wbr:,} withheld-but-releasable, "
          f"{per:,} period differences; classes it leaves open (reference reading): {loose_rbw:,} "
          "released-but-withheld")
    print("\ntimings:")
    for name, seconds in times.items():
        print(f"  {name:<42} {seconds:8.1f} s")
    common.json_line("differential", {
        "subjects": subjects, "records": rows, "requests": len(world.requests), "seconds": times,
        "decided": {"released_but_withheld": rbw, "withheld_but_releasable": wbr, "periods": per},
        "loose_released_but_withheld": loose_rbw,
        "by_class": {c: {k: v for k, v in asdict(t).items() if k != "examples"} for c, t in by_class.items()},
        "code": common.code_version(), "machine": common.machine(),
    })
    if rbw or wbr or per or loose_rbw:
        sys.exit(1)


if __name__ == "__main__":
    main()
