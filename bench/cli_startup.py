"""What one `dws` process costs before and around its command's own work: CPU seconds per process (user +
system, the median of --repeat runs) for a few commands, each a fresh `python -m workstation.cli.main` as the
tests and a user start it.

    .venv/bin/python bench/cli_startup.py [--repeat N] [--tree DIR]

Commands: `--help`, `--version`, `list`, `evaluate` (a two-subject demo request), `verify` and `settings list`,
on a small demo store made for the run (`dws demo --taxpayers 1000 --bulk-subjects 101`). The store's keyslots
use the tests' 1,000 PBKDF2 iterations (tests/conftest.py: DWS_TEST_PBKDF2_ITERATIONS), so an unlock costs a
millisecond here, as in the ~380 `dws` processes of a suite run, instead of a real store's 0.5 s.

Two columns, as Python finds the project's bytecode:
  source   PYTHONDONTWRITEBYTECODE=1: the project's modules compiled from source in every process (a checkout
           that never wrote its __pycache__ folders: the helpers' shell sets it), the standard library's and the
           venv's read from their .pyc
  cached   every .pyc written by a first run and read after (a fresh PYTHONPYCACHEPREFIX), as CI and a user's
           installation run
`modules` is how many modules the process imported (`-X importtime`, the source case).

Before the parser was built from argument definitions alone (cli/main.py, "Start-up"), every command imported
every command module and every service behind them (cryptography, psycopg, reportlab, pyhanko, ...): about
0.6 s CPU per `dws` process in the suite (0.40 s for `dws --help` from source, 0.30 s cached), the figure printed
as "before". `--tree DIR` measures another checkout (its `workstation` package first on the path), for example
the commit before that change.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEFORE_CPU = 0.6            # CPU s per `dws` process in the suite before the lazy imports (the brief's figure)
USER, PASSPHRASE = "rita", "demo-rita-passphrase"     # a demo store's reviewer (DEMO-PASSPHRASES.txt)


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


DWS = ["-m", "workstation.cli.main"]


def run(env: dict[str, str], tree: Path, words: list[str], *, python: list[str] = DWS, check: bool = True
        ) -> tuple[float, str, str]:
    """One `dws` process (or, with `python`, another Python process): (its CPU seconds, stdout, stderr)."""
    before = child_cpu()
    proc = subprocess.run([sys.executable, *python, *words], cwd=tree, env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    spent = child_cpu() - before
    if check and proc.returncode != 0:
        raise SystemExit(f"dws {' '.join(words)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return spent, proc.stdout, proc.stderr


def base_env(tree: Path, store: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DWS_", "PYTHON"))}
    env.update(PYTHONPATH=str(tree), DWS_STORE=str(store), DWS_USER=USER, DWS_PASSPHRASE=PASSPHRASE,
               DWS_TEST_PBKDF2_ITERATIONS="1000", DWS_NO_KEYRING="1", XDG_DATA_HOME=str(home / "data"),
               XDG_STATE_HOME=str(home / "state"), XDG_CONFIG_DIRS=str(home / "site-config"),
               DWS_SCRATCH_DIR=str(home / "scratch"))
    return env


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--repeat", type=int, default=7, help="runs per command and column (default 7; the median)")
    p.add_argument("--tree", type=Path, default=ROOT, help="the checkout to measure (default: this one)")
    args = p.parse_args()
    tree: Path = args.tree.resolve()
    work = Path(tempfile.mkdtemp(prefix="dws-bench-startup-"))
    stale = next((tree / "workstation").rglob("__pycache__"), None)
    if stale is not None:
        print(f"note: {stale} exists: the 'source' column reads the .pyc found there", file=sys.stderr)
    try:
        store = work / "store"
        env = base_env(tree, store, work / "home")
        made = dict(env, PYTHONPYCACHEPREFIX=str(work / "pyc-demo"))
        run(made, tree, ["demo", "--taxpayers", "1000", "--bulk-subjects", "101"])
        queue = json.loads(run(made, tree, ["--json", "list"])[1])
        request = min((r for r in queue if r["subjects"] >= 2), key=lambda r: (r["subjects"], r["request_id"]))
        commands = {
            "dws --help": ["--help"],
            "dws --version": ["--version"],
            "dws list": ["list"],
            f"dws evaluate {request['request_id']} ({request['subjects']} subjects)":
                ["evaluate", request["request_id"], "--summary"],
            "dws verify": ["verify"],
            "dws settings list": ["settings", "list"],
        }
        source = dict(env, PYTHONDONTWRITEBYTECODE="1")
        cached = dict(env, PYTHONPYCACHEPREFIX=str(work / "pyc"))
        rows = []
        for name, words in commands.items():
            run(cached, tree, words)                    # writes the .pyc the cached runs read
            figures = {}
            for column, column_env in (("source", source), ("cached", cached)):
                figures[column] = statistics.median(run(column_env, tree, words)[0] for _ in range(args.repeat))
            err = run(dict(source, PYTHONPROFILEIMPORTTIME="1"), tree, words)[2]
            figures["modules"] = sum(1 for line in err.splitlines() if line.startswith("import time:")) - 1
            rows.append((name, figures))
        floor = statistics.median(run(source, tree, ["-c", "pass"], python=[])[0] for _ in range(args.repeat))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"dws start-up: CPU s per process, median of {args.repeat} (tree {tree}; load {os.getloadavg()[0]:.2f})")
    print(f"{'command':<44} {'source':>8} {'cached':>8} {'modules':>8}   before (every command)")
    for name, f in rows:
        print(f"{name:<44} {f['source']:>8.3f} {f['cached']:>8.3f} {f['modules']:>8.0f}   ~{BEFORE_CPU} s")
    print(f"{'python -c pass (the floor)':<44} {floor:>8.3f}")
    print("JSON " + json.dumps({"repeat": args.repeat, "tree": str(tree), "before_cpu_s": BEFORE_CPU,
                                "floor_cpu_s": round(floor, 4),
                                "commands": {n: {k: round(v, 4) for k, v in f.items()} for n, f in rows}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
