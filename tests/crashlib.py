"""The crash-consistency campaign (issue 13): every write path run in a child process (tests/crashchild.py,
the real `dws` code) and killed with SIGKILL at a seeded random point, then the store checked
(tests/crashcheck.py). Used by tests/test_crash.py (a CI sample) and bench/crash.py (>= 500 kills).

A kill point is either an operation number (the Nth SQL statement or file-system call of the child: every
row insert, COMMIT, fsync and rename is a point; half the draws fall in the last 40 operations, where the
commits, the keyslots file and the audit entry are) or a delay within the path's measured duration (so a
kill also lands inside a statement, a commit's page writes, or while the worker processes run).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD = ROOT / "tests" / "crashchild.py"
TODAY = date(2026, 11, 2)
CANARY = ["Zebulon Canaryfield", "4242 Quetzalcanary Lane", "912-70-4242", "987650001234"]
NEEDLES = [b"Canaryfield", b"CANARYFIELD", b"Quetzalcanary", b"QUETZALCANARY", b"912704242", b"912-70-4242",
           b"987650001234"]
STORE_FILES = {"store.db", "store.db-wal", "store.db-shm", "keyslots.json", "lockout.json", ".lockout.lock",
               "DEMO-PASSPHRASES.txt"}
BULK = "DEMO-I2-BULK"
NEW_BULK = "CRASH-I2-BULK"
DECIDE, APPROVE, LETTER = "DEMO-D1-VALID", "DEMO-I2-VALID", "DEMO-C-VALID"


def pw(user: str) -> str:
    from workstation.demo_store import demo_passphrase

    return demo_passphrase(user)


NEW_PW = "crash-new-passphrase-1"


@dataclass(frozen=True)
class WritePath:
    name: str
    user: str | None
    argv: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    later: tuple[str, ...] = ()     # audit events of a later, separate transaction (the change is whole without)


@dataclass
class World:
    root: Path
    base: Path                      # the base store, copied for every run
    inputs: Path
    recovery_code: str
    outcomes: dict[str, str]        # request id -> the recommendation (the outcome decided)
    needles: list[bytes]
    paths: list[WritePath] = field(default_factory=list)


def build_world(root: Path) -> World:
    """The demo world, made through the service (like `dws demo`, 1,000 taxpayers, a 150-subject bulk
    request): every request imported, a few evaluated and decided, so that each write path has its target."""
    from workstation import clock as clocks
    from workstation.demo.generator import generate
    from workstation.demo_store import DEMO_USERS
    from workstation.service import Workstation

    os.environ["DWS_NO_KEYRING"] = "1"
    root.mkdir(parents=True, exist_ok=True)
    inputs, base = root / "inputs", root / "base"
    manifest = generate(inputs, taxpayers=1000, bulk_subjects=150, seed=7, today=TODAY)
    _extra_inputs(inputs)
    ws = Workstation(base)
    outcomes: dict[str, str] = {}
    with clocks.use(clocks.ShiftedClock(TODAY)):
        session, code, _ = ws.init("admin", pw("admin"), bind_device=False)
        with session:
            for name, role in DEMO_USERS[1:]:
                session.add_user(name, role, pw(name))
            for agency in manifest.agencies:
                session.import_agency(agency)
            session.import_records(manifest.records_csv)
        with ws.unlock("cora", pw("cora")) as counsel:
            for order in manifest.orders:
                counsel.import_order(order)
        with ws.unlock("rita", pw("rita")) as rita:
            for request in manifest.requests:
                rita.import_request(request.path)
            for rid in (DECIDE, APPROVE, LETTER):
                outcomes[rid] = _outcome(rita.evaluate(rid, TODAY)["recommendation"])
            for rid in (APPROVE, LETTER):
                rita.decide(rid, outcomes[rid], "crash campaign", pw("rita"), TODAY)
        with ws.unlock("alex", pw("alex")) as alex:
            if alex.decision(LETTER).status != "approved":
                alex.approve(LETTER, pw("alex"), TODAY)
    names = [line.split(",")[2] for line in (manifest.records_csv.read_text().splitlines()[1:40])]
    needles = NEEDLES + sorted({n.encode() for n in names if len(n) > 8})[:10]
    world = World(root, base, inputs, code, outcomes, needles)
    world.paths = write_paths(world)
    return world


def _outcome(recommendation: str) -> str:
    return {"grant": "grant", "partial": "partial"}.get(recommendation, "deny")


def _extra_inputs(inputs: Path) -> None:
    """A records file with the canary taxpayer, a second bulk request (its subjects CSV beside it) and a new
    court order."""
    header = ("tin,tin_type,name,street,city,state,zip,address_as_of,tax_year,filing_status,agi,total_tax,refund,"
              "dependents,phone,bank_account,wages,employer,interest,hold")
    rows = [f"912-70-4242,ITIN,{CANARY[0]},{CANARY[1]},Austin,TX,78701,{y}-04-15,{y},single,51234,4321,777,1,"
            f"(512) 555-0199,{CANARY[3]},48000,Canarycorp Widgets,12,0" for y in (2023, 2024)]
    rows += [f"{101 + i % 499:03d}-{1 + i // 499:02d}-{7000 + i:04d},SSN,Person Number{i % 97},{i + 1} Elm St,"
             f"Dallas,TX,75201,2024-04-15,2024,single,40000,3000,100,0,,,,,,0" for i in range(1500)]
    (inputs / "canary-records.csv").write_text("\n".join([header, *rows]) + "\n")
    doc = json.loads((inputs / "requests" / f"{BULK}.json").read_text())
    doc["request_id"] = NEW_BULK
    (inputs / "requests" / f"{NEW_BULK}.json").write_text(json.dumps(doc))
    order = json.loads((ROOT / "tests/data/intake/court_order_example.json").read_text())
    order["case_no"] = "1:26-cv-01313"
    (inputs / "crash-order.json").write_text(json.dumps(order))


def write_paths(world: World) -> list[WritePath]:
    i = world.inputs
    new = {"DWS_NEW_PASSPHRASE": NEW_PW}
    return [
        WritePath("records", "admin", ("import", "records", str(i / "canary-records.csv"))),
        WritePath("request", "rita", ("import", "request", str(i / "requests" / f"{NEW_BULK}.json"))),
        WritePath("order", "cora", ("import", "order", str(i / "crash-order.json"))),
        WritePath("evaluate", "rita", ("evaluate", BULK, "--summary", "--as-of", TODAY.isoformat()),
                  {"DWS_EVAL_PARALLEL_MIN": "10", "DWS_EVAL_WORKERS": "2"}),
        WritePath("override", "rita", ("override", DECIDE, "address", "--withhold", "--reason", "crash campaign")),
        WritePath("decide", "rita", ("decide", DECIDE, "--outcome", world.outcomes[DECIDE],
                                     "--justification", "crash campaign")),
        WritePath("approve", "alex", ("approve", APPROVE)),
        WritePath("letter", "rita", ("letter", LETTER, "-o", "@OUT/letter.pdf"),
                  later=("letter-written",)),
        WritePath("user-add", "admin", ("user", "add", "zed", "--role", "auditor"), new),
        WritePath("user-reset", "admin", ("user", "reset", "otto"), new),
        WritePath("setting", "cora", ("@setting", "reason_duplicate_limit", "5")),
        WritePath("recover", None, ("recover", "--admin", "admin"),
                  {**new, "DWS_RECOVERY_CODE": world.recovery_code}),
    ]


# -- one run ---------------------------------------------------------------------------------------------

@dataclass
class Run:
    folder: Path
    store: Path
    tmp: Path
    out: Path
    code: int | None = None
    seconds: float = 0.0


def fresh(world: World, folder: Path) -> Run:
    shutil.rmtree(folder, ignore_errors=True)
    store, tmp, out = folder / "store", folder / "tmp", folder / "out"
    shutil.copytree(world.base, store)
    tmp.mkdir()
    out.mkdir()
    return Run(folder, store, tmp, out)


def start(world: World, path: WritePath, run: Run, extra: dict[str, str]) -> subprocess.Popen[bytes]:
    env = dict(os.environ, DWS_STORE=str(run.store), TMPDIR=str(run.tmp), DWS_TODAY=TODAY.isoformat(),
               DWS_NO_KEYRING="1", XDG_STATE_HOME=str(run.tmp / "state"), **path.env, **extra)
    if path.user:
        env.update(DWS_USER=path.user, DWS_PASSPHRASE=pw(path.user))
    argv = [a.replace("@OUT", str(run.out)) for a in path.argv]
    with (run.folder / "stderr").open("wb") as err:     # a file, not a pipe: an orphan cannot hold it open
        return subprocess.Popen([sys.executable, str(CHILD), *argv], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)


@dataclass
class Calibration:
    ops: int
    seconds: float


def calibrate(world: World, path: WritePath, folder: Path) -> tuple[Calibration, Run]:
    """Run the path to its end once: how many operations, how long; the run is the 'after' state."""
    run = fresh(world, folder)
    count = folder / "count"
    t0 = time.monotonic()
    proc = start(world, path, run, {"DWS_CRASH_COUNT": str(count)})
    proc.wait(timeout=300)
    err = (folder / "stderr").read_bytes()
    run.seconds = time.monotonic() - t0
    run.code = proc.returncode
    if proc.returncode != 0:
        raise RuntimeError(f"path {path.name} failed (exit {proc.returncode}): {err.decode(errors='replace')}")
    return Calibration(int(count.read_text()), run.seconds), run


def kill(world: World, path: WritePath, cal: Calibration, folder: Path, rng: random.Random) -> tuple[Run, str]:
    """One seeded kill of one path. Returns the run and the kill point ('op N' or 'delay S')."""
    run = fresh(world, folder)
    if rng.random() < 0.6:
        n = rng.randint(max(1, cal.ops - 40), cal.ops) if rng.random() < 0.5 else rng.randint(1, cal.ops)
        point = f"op {n}/{cal.ops}"
        proc = start(world, path, run, {"DWS_CRASH_AT": str(n)})
        proc.wait(timeout=300)
    else:
        delay = rng.uniform(0.05, cal.seconds * 1.05)
        point = f"delay {delay:.3f}s/{cal.seconds:.3f}s"
        proc = start(world, path, run, {})
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=300)
    run.code = proc.returncode
    return run, point
