"""Shared helpers for bench/intake.py and bench/evaluate.py (and the office benchmarks').

* the command line both take (``--records``, ``--subjects``, ``--work``, ``--keep``, ``--seed``);
* the inputs, written by the demo generator's streaming writers and cached in the work folder: a taxpayer
  records CSV of exactly ``--records`` rows, the bulk (i)(2) request (``subjects_csv`` of ``--subjects``
  rows, most of them naming a TIN that is in the records), a 10-subject (i)(2) request and the agency entries;
* stores: an encrypted one made the product's way (``Workstation.init``), and a plain (unencrypted) SQLite
  file of the same build with a ``Session`` over it, so that both run the very same service code;
* ``run_phase``: one measured phase in its own spawned process, returning its figures and the child's peak
  RSS (``ru_maxrss``);
* the table and the closing JSON line;
* ``office_server``: a PostgreSQL cluster made for the run, with an office (bench/office*.py).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workstation.demo.bulk import BULK_REQUEST_ID, write_bulk
from workstation.demo.generator import REFERENCE_DAY
from workstation.demo.orders import write_agencies, write_json
from workstation.demo.taxpayers import TaxpayerFactory, write_records
from workstation.service import Session, Workstation
from workstation.store import db, opening

TODAY: date = REFERENCE_DAY             # the generator's fixed "today"; also the evaluation date
ADMIN = "admin"
PASSPHRASE = "bench-admin-passphrase"   # synthetic data only
BULK_ID = BULK_REQUEST_ID               # "DEMO-I2-BULK"
SMALL_ID = "BENCH-I2-SMALL"
SMALL_SUBJECTS = 10
MB = 1024 * 1024
# The intake refuses a JSON integer above 1,000,000 (jsonread.integer's default maximum), but the demo's bulk
# request names one officer with ``active_matters`` = the number of subjects: capped here so that requests of
# more than a million subjects can be imported at all (the OFFICERS check fails either way).
MAX_ACTIVE_MATTERS = 1_000_000
OWN_ENTRIES = ("inputs", "intake", "eval")    # what the benchmarks create inside the work folder


# -- command line and work folder ------------------------------------------------------------------------

def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--records", type=int, default=5_000_000, help="taxpayer-record rows (default 5,000,000)")
    p.add_argument("--subjects", type=int, default=1_280_000,
                   help="subjects of the bulk (i)(2) request (default 1,280,000)")
    p.add_argument("--work", type=Path, help="work folder (default: a new temporary folder under /tmp)")
    p.add_argument("--keep", action="store_true",
                   help="keep the work folder (generated inputs and stores are reused by the next run)")
    p.add_argument("--seed", type=int, default=1, help="demo generator seed (default 1)")
    return p


@contextmanager
def work_folder(args: argparse.Namespace, prefix: str) -> Iterator[Path]:
    """The work folder; at the end it is removed unless --keep (of a folder given with --work only what the
    benchmarks made in it is removed, and the folder itself if that leaves it empty)."""
    given = args.work is not None
    work = args.work.resolve() if given else Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        yield work
    finally:
        if args.keep:
            print(f"\nwork folder kept: {work}")
        elif given:
            for name in OWN_ENTRIES:
                shutil.rmtree(work / name, ignore_errors=True)
            with suppress(OSError):
                work.rmdir()
        else:
            shutil.rmtree(work, ignore_errors=True)


# -- inputs ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Inputs:
    records_csv: str
    record_rows: int
    taxpayers: int          # taxpayers with at least one row in the records CSV (indices 0 .. taxpayers-1)
    bulk_json: str
    subjects: int
    subject_mix: str        # the generator's note on the kinds of subjects
    small_json: str
    agencies: list[str]
    generate_seconds: float


def inputs(work: Path, records: int, subjects: int, seed: int) -> tuple[Inputs, bool]:
    """Generate the inputs into work/inputs, or reuse the ones a kept earlier run made (then True)."""
    folder = work / "inputs" / f"r{records}-s{subjects}-seed{seed}"
    done = folder / "inputs.json"
    if done.exists():
        found = Inputs(**json.loads(done.read_text(encoding="utf-8")))
        _cap_matters(Path(found.bulk_json))
        return found, True
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    t0 = time.perf_counter()
    factory = TaxpayerFactory(seed, TODAY)
    records_csv = folder / "records.csv"
    taxpayers = _write_exact_records(records_csv, factory, records)
    built = write_bulk(folder / "bulk", factory, taxpayers, subjects, TODAY)
    bulk_json = folder / "bulk" / f"{BULK_ID}.json"
    write_json(bulk_json, built.document)
    _cap_matters(bulk_json)
    # the 10-subject request: the same generator (so the same mix of subjects), under its own request id
    small = write_bulk(folder / "small", factory, taxpayers, SMALL_SUBJECTS, TODAY)
    small.document["request_id"] = SMALL_ID
    small_json = folder / "small" / f"{SMALL_ID}.json"
    write_json(small_json, small.document)
    agencies = write_agencies(folder / "agencies", TODAY)
    found = Inputs(str(records_csv), records, taxpayers, str(bulk_json), subjects,
                   built.note.split("Mix: ", 1)[-1], str(small_json), [str(p) for p in agencies],
                   round(time.perf_counter() - t0, 2))
    done.write_text(json.dumps(asdict(found), indent=1) + "\n", encoding="utf-8")
    return found, False


def _cap_matters(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    officers = document.get("officers") or []
    if any(o.get("active_matters", 0) > MAX_ACTIVE_MATTERS for o in officers):
        for o in officers:
            o["active_matters"] = min(o["active_matters"], MAX_ACTIVE_MATTERS)
        write_json(path, document)


def _write_exact_records(path: Path, factory: TaxpayerFactory, rows: int) -> int:
    """Write a records CSV of exactly ``rows`` rows with ``write_records`` (whole taxpayers, 2-5 rows each):
    enough taxpayers for a few more rows, then the file is cut at ``rows``. Returns how many taxpayers
    (indices 0 ..) still have a row."""
    sample: list[str] = []
    probe = min(20_000, max(1_000, rows))
    for index in range(probe):
        factory.lines(index, sample)
    per_taxpayer = len(sample) / probe
    taxpayers = math.ceil(rows / per_taxpayer * 1.002) + 50
    while True:
        written = write_records(path, factory, taxpayers)
        if written >= rows:
            break
        taxpayers = math.ceil(taxpayers * rows / written * 1.002) + 50
    excess = written - rows
    _drop_last_lines(path, excess)
    gone = 0                                  # taxpayers at the end all of whose rows were cut
    while excess > 0:
        lines: list[str] = []
        factory.lines(taxpayers - 1 - gone, lines)
        if len(lines) > excess:
            break
        excess -= len(lines)
        gone += 1
    return taxpayers - gone


def _drop_last_lines(path: Path, count: int) -> None:
    if count <= 0:
        return
    with path.open("r+b") as fh:
        pos = fh.seek(0, os.SEEK_END)
        need = count + 1                      # the newline ending the last line is not a cut point
        while pos > 0:
            step = min(1 << 20, pos)
            pos -= step
            fh.seek(pos)
            buf = fh.read(step)
            end = len(buf)
            while (end := buf.rfind(b"\n", 0, end)) >= 0:
                need -= 1
                if need == 0:
                    fh.truncate(pos + end + 1)
                    return
    raise ValueError(f"{path} has fewer than {count} lines")


# -- stores ------------------------------------------------------------------------------------------------

def new_store(folder: Path) -> Session:
    """A new encrypted store, made the product's way (no OS keyring binding: the passphrase alone)."""
    shutil.rmtree(folder, ignore_errors=True)
    session, _code, _notice = Workstation(folder).init(ADMIN, PASSPHRASE, bind_device=False)
    return session


def open_store(folder: Path) -> Session:
    return Workstation(folder).unlock(ADMIN, PASSPHRASE)


def plain_session(path: Path, *, create: bool) -> Session:
    """A Session over an unencrypted SQLite file (sqlcipher3 opened with no key: the same SQLite build),
    migrated to the same schema. It is a recovery-mode session (admin role, no user), so the service
    functions (import_records, import_request, evaluate) run unchanged on it."""
    if create:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = db.connect(path, None, create=create)
    db.migrate(conn)
    given = {"path": path.parent, "conn": conn}     # the rest None: no keyslots, no user, no data key
    store = opening.OpenStore(**{f.name: given.get(f.name) for f in fields(opening.OpenStore)})
    return Session(store)


def request_rid(session: Session, request_id: str) -> int:
    row = session.conn.execute("SELECT rid FROM requests WHERE request_id = ?", (request_id,)).fetchone()
    if row is None:
        raise SystemExit(f"no request {request_id} in the store")
    return int(row[0])


# -- phases in child processes -------------------------------------------------------------------------------

def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024      # Linux: KiB


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and of its children that have ended (worker processes)."""
    r, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime


def _child(conn: Any, func: Callable[..., dict[str, Any]], args: tuple[Any, ...]) -> None:
    try:
        out = func(*args)
        out["peak_rss_mb"] = round(peak_rss_mb(), 1)
        out["largest_child_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
        out["cpu_s_total"] = round(cpu_seconds(), 2)
        conn.send(out)
    except BaseException:
        conn.send({"error": traceback.format_exc()})
    finally:
        conn.close()


def run_phase(name: str, func: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run ``func(*args)`` in a fresh spawned process; it returns its figures (``rows``, ``seconds``, ...).
    Added: the child's own peak RSS (``peak_rss_mb``, from getrusage), the peak of the summed RSS of its
    whole process tree (``tree_peak_mb``, sampled every 0.1 s: worker processes the product starts count
    too) and ``peak_mb``, the larger of the two. Exits with the child's traceback if it failed."""
    print(f"  ... {name}", flush=True)
    commit = code_version()["commit"]
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, func, args), name=f"bench-{name}")
    t0 = time.perf_counter()
    proc.start()
    send.close()
    peak = [0]
    done = threading.Event()
    sampler = threading.Thread(target=_sample_tree, args=(proc.pid, peak, done), daemon=True)
    sampler.start()
    try:
        out = receive.recv()
    except EOFError:
        out = {"error": f"the child process died (exit code {proc.join() or proc.exitcode})"}
    proc.join()
    done.set()
    sampler.join()
    if "error" in out:
        sys.exit(f"phase {name} failed:\n{out['error']}")
    out["phase"] = name
    out["commit"] = commit
    out["wall_s_process"] = round(time.perf_counter() - t0, 2)
    out["tree_peak_mb"] = round(peak[0] / 1024, 1)
    out["peak_mb"] = max(out["peak_rss_mb"], out["tree_peak_mb"])
    if out.get("seconds") and out.get("rows"):
        out["rows_per_s"] = round(out["rows"] / out["seconds"])
    print(f"      {out.get('rows', '')} rows in {out.get('seconds', 0):.3f} s, peak RSS "
          f"{out['peak_mb']:.0f} MB", flush=True)
    return out


def _sample_tree(root: int, peak: list[int], done: threading.Event) -> None:
    while not done.wait(0.1):
        peak[0] = max(peak[0], _tree_rss_kib(root))


def _tree_rss_kib(root: int) -> int:
    """Summed VmRSS (KiB) of a process and all its descendants (Linux /proc)."""
    total, todo, seen = 0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
                total += next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as fh:
                    todo.extend(int(child) for child in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


def timed(func: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, wall seconds, CPU seconds of this process) of one call."""
    c0, t0 = cpu_seconds(), time.perf_counter()
    result = func()
    return result, time.perf_counter() - t0, cpu_seconds() - c0


# -- report ------------------------------------------------------------------------------------------------

@dataclass
class Row:
    phase: str
    rows: int | None
    seconds: float | None
    rss_mb: float | None
    target: str = ""
    ok: bool | None = None       # None: no target (information)
    rate: float | None = None    # rows/s (computed from rows and seconds when not given)
    unit: str = "s"
    cpu: float | None = None     # CPU seconds of the measured part (user + system)
    floor: tuple[float, float] | None = None   # (wall, CPU) as multiples of the phase's floor (evaluate.py)

    def cells(self) -> list[str]:
        rate = self.rate if self.rate is not None else (
            self.rows / self.seconds if self.rows and self.seconds else None)
        secs = "" if self.seconds is None else (
            f"{self.seconds * 1000:.1f} ms" if self.unit == "ms" else f"{self.seconds:.2f}")
        cpu = "" if self.cpu is None else (f"{self.cpu * 1000:.1f} ms" if self.unit == "ms" else f"{self.cpu:.2f}")
        cells = [self.phase, "" if self.rows is None else f"{self.rows:,}", secs, cpu,
                 "" if rate is None else f"{rate:,.0f}", "" if self.rss_mb is None else f"{self.rss_mb:,.0f}",
                 self.target, "" if self.ok is None else ("PASS" if self.ok else "FAIL")]
        if self.floor is not None:
            cells.append(f"{self.floor[0]:.1f}x / {self.floor[1]:.1f}x")
        return cells


def row(phase: str, result: dict[str, Any], target: str = "", ok: bool | None = None, **kw: Any) -> Row:
    """A table row from a phase's figures."""
    return Row(phase, result.get("rows"), result.get("seconds"), result.get("peak_mb"), target, ok,
               cpu=result.get("cpu_s"), **kw)


def print_table(rows: list[Row]) -> None:
    head = ["phase", "rows", "seconds", "CPU s", "rows/s", "peak RSS MB", "target", "result"]
    if any(r.floor is not None for r in rows):
        head.append("x floor (wall / CPU)")
    table = [head] + [cells + [""] * (len(head) - len(cells)) for cells in (r.cells() for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(head))]
    right = {1, 2, 3, 4, 5}
    for n, line in enumerate(table):
        print("  ".join(cell.rjust(w) if i in right else cell.ljust(w)
                        for i, (cell, w) in enumerate(zip(line, widths, strict=True))).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    return {"cpus": os.cpu_count(), "load_1_5_15": [round(x, 2) for x in load],
            "uptime": _run("uptime"), "python": sys.version.split()[0]}


def code_version() -> dict[str, Any]:
    """The commit measured, and the product files that differ from it (uncommitted edits are measured too)."""
    root = str(Path(__file__).resolve().parent.parent)
    return {"commit": _run("git", "-C", root, "rev-parse", "--short", "HEAD"),
            "modified": _run("git", "-C", root, "status", "--porcelain", "--", "workstation").splitlines()}


def _run(*argv: str) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def json_line(kind: str, payload: dict[str, Any]) -> None:
    print(f"\nJSON {json.dumps({'bench': kind, **payload}, separators=(',', ':'), default=str)}")
