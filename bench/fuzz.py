"""Hostile-input campaign (issue 13): feed every reader mutated seeds (with canary taxpayer values), arbitrary bytes
and the blow-ups, and count what goes wrong.

    python bench/fuzz.py --inputs 100000 [--seed 1] [--workers 2]

Readers: request JSON, subjects CSV, records CSV (streaming and the workers' path), court order, agency register,
office policy, and verify-letter (a store with one issued letter; mutated letters and random bytes). Prints
inputs / tracebacks / wrong exits (a message without the file, its line or path, or with a canary) / slow inputs
per reader and a closing JSON line; exits 1 when any is not zero. The first few defects are printed with the seed
that reproduces them (`--only READER --seed N --inputs 1`).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import hostile  # noqa: E402

LETTER = "verify_letter"
READERS = (*sorted(hostile.READERS), LETTER)
DEFECTS = ("traceback", "leak", "unplaced", "slow")


def _letter_runner(work: Path) -> tuple[Callable[[bytes], hostile.Outcome], bytes]:
    os.environ["DWS_NO_KEYRING"] = "1"
    from letterdata import decided_letter_store, passphrase

    from workstation.errors import DwsError
    from workstation.service import Workstation

    store, pdf = decided_letter_store(work / "letter")
    session = Workstation(store).unlock("otto", passphrase("otto"))

    def run(data: bytes) -> hostile.Outcome:
        start = time.perf_counter()
        try:
            check = session.verify_letter(data, "fuzzed.pdf")
            kind = "ok" if check.ok == (data == pdf) else "traceback"
            detail = "" if kind == "ok" else "a changed letter verified"
        except DwsError as exc:
            message = str(exc)
            kind = "refused" if message.startswith("fuzzed.pdf: ") else "unplaced"
            detail = message
        except Exception as exc:                # the defect being counted
            kind, detail = "traceback", f"{type(exc).__name__}: {str(exc)[:200]}"
        seconds = time.perf_counter() - start
        return hostile.Outcome("slow" if kind in ("ok", "refused") and seconds > hostile.SLOW_S else kind,
                               seconds, detail)

    return run, pdf


def campaign(args: tuple[str, int, int]) -> dict:
    """One reader's share: `count` inputs from `seed`."""
    reader, count, seed = args
    rnd = random.Random(seed)
    counts: Counter[str] = Counter()
    examples: list[str] = []
    slowest = 0.0
    with tempfile.TemporaryDirectory(prefix="dws-fuzz-") as tmp:
        work = Path(tmp)
        if reader == LETTER:
            run_letter, pdf = _letter_runner(work)
            seed_bytes = pdf
        else:
            seed_bytes = hostile.SEEDS[reader]()
            blowups = list(hostile.blowups(reader, seed_bytes).items())
        for i in range(count):
            if reader == LETTER:
                data = rnd.randbytes(rnd.randrange(1, 2000)) if i % 10 == 0 else hostile.mutate_bytes(seed_bytes, rnd)
                outcome = run_letter(data)
            elif i < len(blowups):                          # every share starts with the blow-ups
                outcome = hostile.run(reader, blowups[i][1], work, slow=hostile.BLOWUP_SLOW_S)
            elif i % 20 == 0:
                outcome = hostile.run(reader, rnd.randbytes(rnd.randrange(0, 800)), work)
            else:
                outcome = hostile.run(reader, hostile.mutate(reader, seed_bytes, rnd), work)
            counts[outcome.kind] += 1
            slowest = max(slowest, outcome.seconds)
            if outcome.kind in DEFECTS and len(examples) < 5:
                examples.append(f"{reader} input {i} (seed {seed}): {outcome.kind}: {outcome.detail[:300]}")
    return {"reader": reader, "counts": dict(counts), "examples": examples, "slowest": slowest}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--inputs", type=int, default=100_000, help="inputs in all (default 100,000)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--only", choices=READERS, help="one reader only")
    args = p.parse_args()
    readers = (args.only,) if args.only else READERS
    shares = 4 * len(readers)                                # a few shares a reader: the workers stay busy
    jobs = []
    for n in range(shares):
        reader = readers[n % len(readers)]
        count = args.inputs // shares + (1 if n < args.inputs % shares else 0)
        jobs.append((reader, count, args.seed * 1_000_003 + n))
    start = time.perf_counter()
    if args.workers > 1:
        with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
            results = pool.map(campaign, jobs, chunksize=1)
    else:
        results = [campaign(job) for job in jobs]
    elapsed = time.perf_counter() - start
    table: dict[str, Counter[str]] = {r: Counter() for r in readers}
    slowest: dict[str, float] = {r: 0.0 for r in readers}
    examples: list[str] = []
    for res in results:
        table[res["reader"]].update(res["counts"])
        slowest[res["reader"]] = max(slowest[res["reader"]], res["slowest"])
        examples += res["examples"]
    print(f"{'reader':<18}{'inputs':>10}{'accepted':>10}{'refused':>10}{'tracebacks':>12}{'wrong exits':>13}"
          f"{'slow':>6}{'slowest s':>11}")
    total: Counter[str] = Counter()
    for reader in readers:
        c = table[reader]
        total.update(c)
        print(f"{reader:<18}{sum(c.values()):>10,}{c['ok']:>10,}{c['refused']:>10,}{c['traceback']:>12,}"
              f"{c['leak'] + c['unplaced']:>13,}{c['slow']:>6,}{slowest[reader]:>11.2f}")
    figures = {"inputs": sum(total.values()), "tracebacks": total["traceback"],
               "wrong_exits": total["leak"] + total["unplaced"], "slow_inputs": total["slow"],
               "accepted": total["ok"], "refused": total["refused"], "seconds": round(elapsed, 1)}
    print(f"{'all':<18}{figures['inputs']:>10,}{total['ok']:>10,}{total['refused']:>10,}{figures['tracebacks']:>12,}"
          f"{figures['wrong_exits']:>13,}{figures['slow_inputs']:>6,}")
    for line in examples[:20]:
        print("  " + line)
    print(json.dumps(figures))
    return 1 if figures["tracebacks"] or figures["wrong_exits"] or figures["slow_inputs"] else 0


if __name__ == "__main__":
    sys.exit(main())
