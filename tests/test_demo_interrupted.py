"""Issue 18.2: a `dws demo` killed at any point leaves no plaintext and no store that passes for whole, and
`dws demo --if-missing` then makes a whole demo; an incomplete demo store of an older version is made again,
a store that is not a demo is left alone.

The kills use the crash campaign's child (tests/crashchild.py): SIGKILL before the Nth SQL statement or file
operation of the command, as soon as the input files' folder appears (their generation), or — for
SIGTERM — while the child waits at a file operation after the input files are written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from clihelp import run_dws

from workstation.demo_scratch import MARK
from workstation.demo_store import PASSPHRASE_FILE, demo_passphrase
from workstation.service import Workstation

ROOT = Path(__file__).resolve().parent.parent
CHILD = ROOT / "tests" / "crashchild.py"
SIZES = ("--taxpayers", "1000", "--bulk-subjects", "101", "--seed", "5")


@pytest.fixture(scope="module")
def needles(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """Values of the demo's input files (TINs, names, streets, bank accounts): none may be left in a file."""
    from workstation import clock as clocks
    from workstation.demo.generator import generate

    out = tmp_path_factory.mktemp("demo-inputs")
    with clocks.use(clocks.from_environment()):
        manifest = generate(out, taxpayers=1000, bulk_subjects=101, seed=5)
    found: set[bytes] = set()
    for line in manifest.records_csv.read_text(encoding="utf-8").splitlines()[1:200:20]:
        tin, _kind, name, street = line.split(",")[:4]
        found.update({tin.encode(), name.encode(), street.encode()})
    subjects = next((out / "requests").glob("*-subjects.csv")).read_text(encoding="utf-8").splitlines()
    found.update(field.encode() for line in subjects[1:40:10] for field in line.split(",")[:2] if len(field) > 6)
    return sorted(found)


def _start(store: Path, tmp: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`dws demo` in the crash campaign's child; its stderr goes to tmp/../stderr (a file: no pipe to hold)."""
    tmp.mkdir(exist_ok=True)
    full = dict(os.environ, TMPDIR=str(tmp), DWS_NO_KEYRING="1", **(env or {}))
    with (tmp.parent / "stderr").open("wb") as err:
        return subprocess.Popen([sys.executable, str(CHILD), "--store", str(store), "demo", *SIZES], cwd=ROOT,
                                env=full, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)


def _stderr(tmp: Path) -> str:
    return (tmp.parent / "stderr").read_text(errors="replace")


def _plaintext(folders: list[Path], needles: list[bytes]) -> list[str]:
    hits = []
    for folder in folders:
        for f in folder.rglob("*"):
            if f.is_file():
                data = f.read_bytes()
                hits += [f"{f}: {n.decode()}" for n in needles if n in data]
    return hits


def _build_folders(parent: Path, grace: float = 5.0) -> list[str]:
    """Build folders still there after `grace` seconds (the cleaner removes a killed build's at once)."""
    deadline = time.monotonic() + grace
    while True:
        left = [p.name for p in parent.iterdir() if "dws-demo-" in p.name]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def _assert_whole_demo(store: Path) -> None:
    assert (store / PASSPHRASE_FILE).is_file()
    with Workstation(store).unlock("rita", demo_passphrase("rita")) as rita:
        assert len(rita.queue()) > 20


@pytest.fixture(scope="module")
def operations(tmp_path_factory: pytest.TempPathFactory) -> int:
    """How many counted operations a whole `dws demo` runs (the crash campaign's calibration). The last ones:
    the passphrase file's write and fsync, the rename into place, the folder's fsync, the build folder's removal;
    before them the input files' removal."""
    tmp_path = tmp_path_factory.mktemp("demo-calibration")
    count = tmp_path / "count"
    proc = _start(tmp_path / "data" / "store", tmp_path / "tmp", {"DWS_CRASH_COUNT": str(count)})
    assert proc.wait(timeout=300) == 0, _stderr(tmp_path / "tmp")
    _assert_whole_demo(tmp_path / "data" / "store")
    return int(count.read_text())


KILLS = {"importing": lambda ops: ops // 3, "removing-inputs": lambda ops: ops - 12,
         "before-rename": lambda ops: ops - 2, "after-rename": lambda ops: ops - 1}


def _killed(where: str, parent: Path, tmp: Path, operations: int) -> str:
    """Run `dws demo` into parent/store and kill it at `where`; its stderr."""
    parent.mkdir()
    if where == "generating":                   # the input files' folder appears: the cleaner is running
        proc = _start(parent / "store", tmp)
        _wait_until(lambda: any(MARK in p.name and (p / "inputs").exists() for p in parent.iterdir()), proc)
        proc.send_signal(signal.SIGKILL)
    elif where == "sigterm":                    # paused at a keyslot's write, the input files written
        paused = tmp.parent / "paused"
        proc = _start(parent / "store", tmp, {"DWS_CRASH_AT": str(operations // 40), "DWS_CRASH_PAUSE": str(paused)})
        _wait_until(paused.exists, proc)
        proc.send_signal(signal.SIGTERM)
    else:
        proc = _start(parent / "store", tmp, {"DWS_CRASH_AT": str(KILLS[where](operations))})
    assert proc.wait(timeout=300) != 0
    return _stderr(tmp)


def _wait_until(ready: Callable[[], bool], proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while not ready():
        assert proc.poll() is None, "the command ended before the point where the test interrupts it"
        assert time.monotonic() < deadline
        time.sleep(0.002)


@pytest.mark.parametrize("where", ["generating", "sigterm", *KILLS])
def test_a_killed_demo_leaves_no_plaintext_and_no_half_store(
        where: str, tmp_path: Path, needles: list[bytes], operations: int) -> None:
    parent, tmp = tmp_path / "data", tmp_path / "tmp"
    err = _killed(where, parent, tmp, operations)
    assert "Traceback" not in err
    assert _build_folders(parent) == []
    assert _plaintext([parent, tmp], needles) == []
    store = parent / "store"
    assert store.exists() == (where == "after-rename")
    if store.exists():                          # killed after the rename: whole, never half
        _assert_whole_demo(store)
        result = run_dws(store, "demo", "--if-missing", *SIZES, env={"TMPDIR": str(tmp), "DWS_NO_KEYRING": "1"})
        assert result.code == 0 and "already exists" in result.out, result.err


def test_if_missing_after_a_killed_demo_makes_a_whole_one(
        tmp_path: Path, needles: list[bytes], operations: int) -> None:
    parent, tmp = tmp_path / "data", tmp_path / "tmp"
    _killed("before-rename", parent, tmp, operations)
    result = run_dws(parent / "store", "demo", "--if-missing", *SIZES,
                     env={"TMPDIR": str(tmp), "DWS_NO_KEYRING": "1"})
    assert result.code == 0, result.err
    _assert_whole_demo(parent / "store")
    assert _plaintext([parent, tmp], needles) == []
    assert sorted(p.name for p in parent.iterdir()) == ["store"]


def test_a_build_folder_whose_cleaner_was_killed_too_is_swept_by_the_next_demo(
        tmp_path: Path, needles: list[bytes], operations: int) -> None:
    parent, tmp = tmp_path / "data", tmp_path / "tmp"
    store = parent / "store"
    parent.mkdir()
    paused = tmp_path / "paused"                # mid-import, the input files written, on a machine of any speed
    proc = _start(store, tmp, {"DWS_CRASH_AT": str(operations // 3), "DWS_CRASH_PAUSE": str(paused)})
    _wait_until(paused.exists, proc)
    cleaner = next((pid for pid in _children(proc.pid) if b"demo_scratch" in _cmdline(pid)), None)
    assert cleaner is not None
    os.kill(cleaner, signal.SIGKILL)            # a kill of everything: the cleaner first, then dws
    proc.kill()
    proc.wait(timeout=60)
    assert [p for p in parent.iterdir() if "dws-demo-" in p.name], "nothing was left to sweep"
    result = run_dws(store, "demo", "--if-missing", *SIZES, env={"TMPDIR": str(tmp), "DWS_NO_KEYRING": "1"})
    assert result.code == 0, result.err
    assert sorted(p.name for p in parent.iterdir()) == ["store"]
    assert _plaintext([parent, tmp], needles) == []
    _assert_whole_demo(store)


def test_if_missing_makes_an_incomplete_demo_store_of_an_older_version_again(tmp_path: Path) -> None:
    """What an older `dws demo` left when killed: a store with demo users and no DEMO-PASSPHRASES.txt."""
    store = tmp_path / "store"
    session, _code, _ = Workstation(store).init("admin", demo_passphrase("admin"), bind_device=False)
    session.close()
    result = run_dws(store, "demo", "--if-missing", *SIZES, env={"DWS_NO_KEYRING": "1"})
    assert result.code == 0, result.err
    assert "interrupted" in result.err
    _assert_whole_demo(store)


def test_if_missing_leaves_a_store_that_is_not_a_demo_alone(tmp_path: Path) -> None:
    store = tmp_path / "store"
    session, _code, _ = Workstation(store).init("admin", "a-real-admin-passphrase", bind_device=False)
    session.close()
    before = {p.name: p.read_bytes() for p in store.iterdir()}
    result = run_dws(store, "demo", "--if-missing", *SIZES, env={"DWS_NO_KEYRING": "1"})
    assert result.code == 0, result.err
    assert "not a demo store" in result.out
    assert {p.name: p.read_bytes() for p in store.iterdir()} == before
    with Workstation(store).unlock("admin", "a-real-admin-passphrase"):
        pass


def test_if_missing_refuses_a_folder_with_a_database_but_no_keyslots(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / "store.db").write_bytes(b"\0" * 4096)
    result = run_dws(store, "demo", "--if-missing", *SIZES, env={"DWS_NO_KEYRING": "1"})
    assert result.code == 1
    assert "no store that can be opened" in result.err and "nothing was changed" in result.err
    assert sorted(p.name for p in store.iterdir()) == ["store.db"]


def test_demo_help_gives_each_size_its_minimum_and_default() -> None:
    """Issue 18.3."""
    proc = subprocess.run([sys.executable, "-m", "workstation.cli.main", "demo", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    text = " ".join(proc.stdout.split())
    assert "--taxpayers N synthetic taxpayers in the records (at least 1,000; default: 2,000)" in text
    assert "--bulk-subjects M subjects of the bulk request (at least 101" in text and "default: 5,000)" in text
    assert "--seed S seed of the synthetic data" in text and "default: 1)" in text


def test_a_negative_seed_is_a_usage_error(tmp_path: Path) -> None:
    result = run_dws(tmp_path / "store", "demo", "--seed", "-1")
    assert result.code == 2 and "--seed must be 0 or more" in result.err
    assert not (tmp_path / "store").exists()


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
