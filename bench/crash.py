"""Crash-consistency campaign (issue 13.1): every write path of the workstation run in a child process and
killed with SIGKILL at a seeded random point, then the store checked (tests/crashlib.py, tests/crashcheck.py).

    .venv/bin/python bench/crash.py [--kills 500] [--seed 13] [--only records,letter] [--work DIR] [--keep]

Prints kills / corruptions / half-done changes / orphans / leftovers / canary leaks (all must be 0), the
problems found, and a JSON line.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from common import code_version, json_line, machine  # noqa: E402
from crashcheck import campaign  # noqa: E402
from crashlib import build_world  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kills", type=int, default=500, help="kills in all (spread evenly over the paths)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--only", help="comma-separated path names (default: every write path)")
    p.add_argument("--work", type=Path)
    p.add_argument("--keep", action="store_true")
    args = p.parse_args()
    os.environ.setdefault("XDG_STATE_HOME", tempfile.mkdtemp(prefix="dws-crash-state-"))
    work = args.work or Path(tempfile.mkdtemp(prefix="dws-crash-", dir="/tmp"))
    t0 = time.monotonic()
    world = build_world(work / "world")
    only = set(args.only.split(",")) if args.only else None
    paths = [w for w in world.paths if not only or w.name in only]
    per_path = math.ceil(args.kills / len(paths))
    tally = campaign(world, work / "runs", per_path, args.seed, only)
    seconds = time.monotonic() - t0
    print(f"paths {len(paths)} ({', '.join(w.name for w in paths)}), {per_path} kills each, seed {args.seed}")
    print(f"kills {tally.kills}  corruptions {tally.corruptions}  half-done changes {tally.half_done}  "
          f"orphans {tally.orphans}  leftovers {tally.leftovers}  canary leaks {tally.canary_leaks}  "
          f"(killed after the change was whole: {tally.completed})  {seconds:.0f} s")
    for problem in tally.problems[:50]:
        print("  " + problem)
    json_line("crash", {"kills": tally.kills, "corruptions": tally.corruptions, "half_done": tally.half_done,
                        "orphans": tally.orphans, "leftovers": tally.leftovers, "canary_leaks": tally.canary_leaks,
                        "completed": tally.completed, "seed": args.seed, "seconds": round(seconds, 1),
                        "code": code_version(), "machine": machine()})
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if tally.clean() else 1


if __name__ == "__main__":
    sys.exit(main())
