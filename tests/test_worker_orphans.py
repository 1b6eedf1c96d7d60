"""Issue 18.19: a `dws` command killed while its worker processes start leaves no worker behind.

Each case starts a real `dws` command that uses worker processes (an evaluation of the bulk request, a records
import), kills it with SIGKILL at several points early in a worker's start-up
(tests/orphanwatch.py), and checks that the worker ends by itself at once: no process of the command is alive
after the grace period, and the worker used hardly more CPU time after its parent died than the least a worker
must do to start (`floor`). Before the fix a worker whose parent died early went on to import the whole
program (three to four times that) before it noticed, and then held the store's data key; with the death
signal missing (not Linux, or armed too late) it waited forever.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WATCH = ROOT / "tests" / "orphanwatch.py"
DAY = date(2026, 11, 2)
STOP_POINTS_MS = (0, 40, 120)


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A demo store (every request evaluated as of DAY) and an empty store with the demo's records file."""
    from workstation import clock as clocks
    from workstation.demo.generator import generate
    from workstation.demo_store import create_demo_store, demo_passphrase
    from workstation.service import Workstation

    root = tmp_path_factory.mktemp("orphans")
    os.environ["DWS_NO_KEYRING"] = "1"
    with clocks.use(clocks.ShiftedClock(DAY)):
        create_demo_store(root / "demo", taxpayers=1000, bulk_subjects=150, seed=3, today=DAY)
        # 20,000 taxpayers (8.9 MB of records): the import's workers are still parsing at the last stop point
        # (120 ms); with the demo's 1,000 (0.4 MB) a worker that starts fast has finished and ended by then.
        manifest = generate(root / "inputs", taxpayers=20000, bulk_subjects=101, seed=3, today=DAY)
        session, _code, _ = Workstation(root / "empty").init("admin", demo_passphrase("admin"), bind_device=False)
        session.close()
    return {"demo": root / "demo", "empty": root / "empty", "records": manifest.records_csv}


def _watch(store: Path, tmp: Path, stop_ms: int, user: str, env: dict[str, str], *args: str) -> dict:
    from workstation.demo_store import demo_passphrase

    run = tmp / f"run-{stop_ms}"
    shutil.copytree(store, run / "store")
    full_env = dict(os.environ, DWS_STORE=str(run / "store"), DWS_USER=user, DWS_PASSPHRASE=demo_passphrase(user),
                    DWS_NO_KEYRING="1", DWS_TODAY=DAY.isoformat(), PYTHONPATH=str(ROOT), **env)
    proc = subprocess.run([sys.executable, str(WATCH), str(stop_ms), "--", sys.executable, "-m",
                           "workstation.cli.main", *args], cwd=ROOT, env=full_env, capture_output=True, text=True,
                          timeout=180)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _assert_ended_at_once(result: dict) -> None:
    assert result["worker"], "the command ended before it started a worker process"
    assert not result.get("ended_before_stop"), (
        "the worker finished its work before the stop point, so it was never killed while starting: a larger input "
        "is needed")
    assert result["orphans"] == [], f"worker processes outlived their killed parent: {result['orphans']}"
    assert result["cpu_after"] is not None, "the worker did not end within the grace period"
    assert result["cpu_after"] <= 2 * result["floor"] + 0.01, (
        f"the worker ran on for {result['cpu_after']:.3f} s of CPU after its parent died (a worker starts "
        f"in {result['floor']:.3f} s)")


@pytest.mark.parametrize("stop_ms", STOP_POINTS_MS)
def test_evaluation_workers_end_when_dws_evaluate_is_killed_while_they_start(
        stores: dict[str, Path], tmp_path: Path, stop_ms: int) -> None:
    result = _watch(stores["demo"], tmp_path, stop_ms, "rita",
                    {"DWS_EVAL_PARALLEL_MIN": "10", "DWS_EVAL_WORKERS": "2"},
                    "evaluate", "DEMO-I2-BULK", "--summary", "--as-of", "2026-10-30")
    _assert_ended_at_once(result)


@pytest.mark.parametrize("stop_ms", STOP_POINTS_MS)
def test_records_import_workers_end_when_dws_import_is_killed_while_they_start(
        stores: dict[str, Path], tmp_path: Path, stop_ms: int) -> None:
    result = _watch(stores["empty"], tmp_path, stop_ms, "admin",
                    {"DWS_IMPORT_PARALLEL_MIN_BYTES": "1", "DWS_IMPORT_WORKERS": "2"},
                    "import", "records", str(stores["records"]))
    _assert_ended_at_once(result)


def test_a_pool_worker_ends_itself_when_its_parent_is_gone_even_without_the_death_signal() -> None:
    """The worker's own watch, not PR_SET_PDEATHSIG (which other systems lack, and which never fires when armed
    too late): a pool worker whose death signal is cleared, as if the OS had none, and whose parent is then
    killed while the worker waits for work, ends within a moment."""
    code = ("import multiprocessing, os, signal\n"
            "from concurrent.futures import ProcessPoolExecutor\n"
            "from tests.test_worker_orphans import start_without_death_signal\n"
            "if __name__ == '__main__':\n"
            "    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context('spawn'),\n"
            "                               initializer=start_without_death_signal)\n"
            "    print(pool.submit(os.getpid).result(), flush=True)\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    worker = int(proc.stdout.split()[0])
    deadline = time.monotonic() + 5
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = _alive(worker)
    if alive:
        os.kill(worker, signal.SIGKILL)
    assert not alive, "the idle worker outlived its parent"


def start_without_death_signal() -> None:
    """A pool initializer (the test above): the product's own, then the death signal cleared."""
    import ctypes

    from workstation.processes import die_with_parent

    die_with_parent()
    ctypes.CDLL("libc.so.6").prctl(1, 0)        # PR_SET_PDEATHSIG 0: none


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
