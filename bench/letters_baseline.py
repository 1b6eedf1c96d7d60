"""What tagging and PDF/A cost (issue 22), for bench/letters.py: the same letters issued by the program as it was
before letters were tagged (the parent of the commit that added workstation/letters/structure.py, or --baseline
REV), from the same store, beside this tree's figures.

The baseline's source is `git archive`d into a temporary folder and runs in a subprocess whose `workstation`
package is that folder's, this folder's program in another; the measuring code is this folder's letters.measure
(the same timer for both). The two processes take turns, one run of letters each, so that both meet the same load
on a shared machine, and tagging's cost is judged on the CPU seconds of the median runs.

Seen here (two cores shared with other work): a process's CPU seconds are a half higher for as long as it shares
its core with other work, and two processes left to the scheduler often land apart (one run: +67 % in one round,
+6 % in the next). Both processes are kept on one CPU (they never run at once); a round still strays now and
then (one in six, when the other work moves), and the medians of six rounds hold within a few per cent."""

from __future__ import annotations

import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def program_at(rev: str) -> Iterator[Path]:
    """A folder holding the program of `rev` (its workstation package and resources), removed after."""
    tree = Path(tempfile.mkdtemp(prefix="dws-bench-baseline-", dir="/tmp"))
    try:
        archive = subprocess.run(["git", "archive", "--format=tar", rev, "workstation", "resources"], cwd=ROOT,
                                 capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tree, filter="data")
        yield tree
    finally:
        shutil.rmtree(tree, ignore_errors=True)


class Issuer:
    """A process that issues letters with the program in `tree` (its `workstation` package), timed by this
    folder's letters.measure, whenever asked (`issue`): kept alive between requests, so that two of them can
    take turns, letter run after letter run, and meet the same load on a shared machine."""

    def __init__(self, tree: Path, store: Path, cpu: int | None) -> None:
        script = ("import sys; sys.path.insert(0, sys.argv[1]); import workstation; "
                  "sys.path.insert(1, sys.argv[2]); import letters; "
                  "letters.serve(sys.argv[3], int(sys.argv[4]) if sys.argv[4:] else None)")
        self.proc = subprocess.Popen([sys.executable, "-c", script, str(tree), str(ROOT / "bench"), str(store),
                                      *([] if cpu is None else [str(cpu)])],
                                     cwd=tree, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def issue(self, request_ids: list[str]) -> list[dict[str, Any]]:
        """letters.measure(store, request_ids) in the process."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(" ".join(request_ids) + "\n")
        self.proc.stdin.flush()
        for line in self.proc.stdout:
            if line.startswith("RESULT "):
                return list(json.loads(line.removeprefix("RESULT ")))
        raise RuntimeError(f"the letters process ended (exit {self.proc.wait()})")

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def compare(rev: str, store: Path, request_ids: list[str], rounds: int) -> tuple[list[list[dict[str, Any]]],
                                                                                list[list[dict[str, Any]]]]:
    """`rounds` runs of letters.measure(store, request_ids) by this folder's program (tagged) and by the one
    of `rev` (untagged), taking turns (each goes first every other round): (tagged runs, untagged runs)."""
    tagged: list[list[dict[str, Any]]] = []
    untagged: list[list[dict[str, Any]]] = []
    # Both on the same CPU (they never run at once): a process that shares its core with other work runs half
    # as fast again, for as long as it runs there, and two processes left to the scheduler often land apart.
    cpu = min(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    with program_at(rev) as old:
        issuers = {"untagged": Issuer(old, store, cpu), "tagged": Issuer(ROOT, store, cpu)}
        try:
            for k in range(rounds):
                for which in ("untagged", "tagged") if k % 2 == 0 else ("tagged", "untagged"):
                    (tagged if which == "tagged" else untagged).append(issuers[which].issue(request_ids))
        finally:
            for issuer in issuers.values():
                issuer.close()
    return tagged, untagged


def summary(results: list[dict[str, Any]], warm: int) -> dict[str, float]:
    """One process's figures (letters.measure: the one-subject letter cold, `warm` times more, then the
    transmittal once or more): the seconds and the CPU seconds of the median warm one-subject letter ("one")
    and of the quickest transmittal ("big"; the least disturbed by other work), each without the passphrase
    check (a KDF derivation before any letter, tagged or not)."""
    ones, bigs = results[1:1 + warm], results[1 + warm:]
    return {"one": statistics.median(r["seconds"] for r in ones),
            "one_cpu": statistics.median(_cpu(r) for r in ones),
            "big": min(r["seconds"] for r in bigs), "big_cpu": min(_cpu(r) for r in bigs)}


def _cpu(result: dict[str, Any]) -> float:
    return float(result["cpu_s"]) - float(result.get("passphrase_cpu_s", 0.0))


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
