"""What tagging and PDF/A cost (issue 22), for bench/letters.py: the same letters issued by the program as it was
before letters were tagged (the parent of the commit that added workstation/letters/structure.py, or --baseline
REV), from the same store, beside this tree's figures.

The baseline's source is `git archive`d into a temporary folder and runs in a subprocess whose `workstation`
package is that folder's; the measuring code is this folder's letters.measure (the same timer for both)."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"one": 20.0, "big": 10.0}      # % that tagging and PDF/A may add (one-subject letter, 47,000 subjects)


def baseline_rev(choice: str) -> str | None:
    """The revision to compare with: `choice`, or (auto) the one before letters were tagged."""
    if choice == "none":
        return None
    if choice != "auto":
        return choice
    # --first-parent: on a branch that merged the tagged letters, the merge is where they arrived, and its first
    # parent is this line's program just before them (a store it can open).
    added = subprocess.run(["git", "log", "--first-parent", "--diff-filter=A", "--format=%H", "--",
                            "workstation/letters/structure.py"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return f"{added[-1]}^" if added else None


def measure_at(rev: str, store: Path, request_ids: list[str]) -> list[dict[str, Any]]:
    """letters.measure(store, request_ids) run with the program of `rev`."""
    tree = Path(tempfile.mkdtemp(prefix="dws-bench-baseline-", dir="/tmp"))
    try:
        archive = subprocess.run(["git", "archive", "--format=tar", rev, "workstation", "resources"], cwd=ROOT,
                                 capture_output=True, check=True).stdout
        with tarfile.open(fileobj=__import__("io").BytesIO(archive)) as tar:
            tar.extractall(tree, filter="data")
        script = ("import json, sys; sys.path.insert(0, sys.argv[1]); import workstation; "
                  "sys.path.insert(1, sys.argv[2]); import letters; "
                  "print('RESULT ' + json.dumps(letters.measure(sys.argv[3], sys.argv[4:])))")
        done = subprocess.run([sys.executable, "-c", script, str(tree), str(ROOT / "bench"), str(store),
                               *request_ids], cwd=tree, capture_output=True, text=True, check=True)
        line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
        return json.loads(line.removeprefix("RESULT "))
    finally:
        shutil.rmtree(tree, ignore_errors=True)


def summary(results: list[dict[str, Any]], warm: int) -> dict[str, float]:
    """One process's figures (letters.measure: the one-subject letter cold, `warm` times more, then the
    transmittal): the seconds and the CPU seconds of the median warm one-subject letter ("one") and of the
    transmittal ("big"), each without the passphrase check (a KDF derivation before any letter, tagged or not)."""
    ones = results[1:1 + warm]
    return {"one": statistics.median(r["seconds"] for r in ones),
            "one_cpu": statistics.median(r["cpu_s"] - r.get("passphrase_cpu_s", 0.0) for r in ones),
            "big": results[-1]["seconds"], "big_cpu": results[-1]["cpu_s"] - results[-1].get("passphrase_cpu_s", 0.0)}


def report(rev: str, tagged: list[dict[str, float]], untagged: list[dict[str, float]]) -> bool:
    """Print each run's seconds and CPU seconds (`summary`), tagged beside untagged, and what tagging adds to
    their medians; judged on the CPU seconds (the machine may be shared: a wall clock counts the waits for
    it too). True when both targets are met."""
    print(f"\n{'tagging and PDF/A':<30} {'untagged':>9} {'tagged':>9} {'added':>8} {'CPU unt.':>9} {'CPU tag.':>9} "
          f"{'added':>8}  target (on CPU)   (untagged: {rev})")
    ok = True
    for key, label in (("one", "one-subject letter"), ("big", "47,000-subject transmittal")):
        for n, (t, u) in enumerate(zip(tagged, untagged, strict=False), 1):
            cpu = key + "_cpu"
            print(f"{f'  run {n}':<30} {u[key]:>8.3f}s {t[key]:>8.3f}s {_added(t[key], u[key]):>7.1f}% "
                  f"{u[cpu]:>8.3f}s {t[cpu]:>8.3f}s {_added(t[cpu], u[cpu]):>7.1f}%")
        med = {k: (statistics.median(r[k] for r in tagged), statistics.median(r[k] for r in untagged))
               for k in (key, key + "_cpu")}
        added = _added(*med[key + "_cpu"])
        passed = added <= TARGETS[key]
        ok &= passed
        print(f"{label + ' (medians)':<30} {med[key][1]:>8.3f}s {med[key][0]:>8.3f}s {_added(*med[key]):>7.1f}% "
              f"{med[key + '_cpu'][1]:>8.3f}s {med[key + '_cpu'][0]:>8.3f}s {added:>7.1f}%  <= {TARGETS[key]:g} % "
              f"{'PASS' if passed else 'FAIL'}")
    return ok


def _added(tagged: float, untagged: float) -> float:
    return 100 * (tagged - untagged) / untagged if untagged > 0 else 0.0
