"""Issue 18.15: a file the CLI reads whole is a regular file of bounded size. A FIFO (which would make `dws`
wait forever for a writer), a device such as /dev/zero (read until memory ran out) or a file over the bound
is refused at once with one message naming the file and saying what is accepted; exit 1.

Each command runs as a real process with a time limit and a 1 GiB address-space limit, so a reader that waits
or reads without bound fails the test instead of hanging or exhausting the machine."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from clihelp import Result

from workstation.inputfiles import MAX_LETTER_BYTES, MAX_SECRET_BYTES

ROOT = Path(__file__).resolve().parent.parent
PW = "input-files-passphrase-1"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from workstation.service import Workstation

    path = tmp_path_factory.mktemp("inputs") / "store"
    session, _code, _ = Workstation(path).init("admin", PW, bind_device=False)
    session.close()
    return path


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "letter.pdf"
    os.mkfifo(path)
    return path


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def dws(store: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    full = {**os.environ, "DWS_STORE": str(store), "DWS_USER": "admin", "DWS_PASSPHRASE": PW,
            "DWS_NO_KEYRING": "1", **(env or {})}
    try:
        proc = subprocess.run([sys.executable, "-m", "workstation.cli.main", *args], cwd=ROOT, env=full,
                              capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
                              preexec_fn=_limited)
    except subprocess.TimeoutExpired:
        pytest.fail(f"dws {' '.join(args)} was still waiting after 30 s")
    return Result(proc.returncode, proc.stdout, proc.stderr)


def _refused(r: Result, path: Path | str, what: str) -> None:
    assert r.code == 1, r.err
    assert r.err.startswith(f"dws: {path}: is not a regular file (a pipe, a device or a socket); give {what} "
                            "(a regular file of at most "), r.err
    assert "Traceback" not in r.err and "internal error" not in r.err


def test_verify_letter_refuses_a_fifo_at_once(store: Path, fifo: Path) -> None:
    _refused(dws(store, "verify-letter", str(fifo)), fifo, "a letter PDF")


def test_verify_letter_refuses_dev_zero_at_once(store: Path) -> None:
    r = dws(store, "verify-letter", "/dev/zero")
    _refused(r, "/dev/zero", "a letter PDF")
    assert "at most 64 MiB" in r.err


def test_verify_letter_refuses_a_file_over_the_bound_without_reading_it(store: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.pdf"
    with big.open("wb") as fh:                  # sparse: no disk used
        fh.write(b"%PDF-1.7\n")
        fh.truncate(MAX_LETTER_BYTES + 1)
    r = dws(store, "verify-letter", str(big))
    assert r.code == 1
    assert r.err.strip() == (f"dws: {big}: is larger than 64 MiB; give a letter PDF (a regular file of at most "
                             "64 MiB)")


def test_verify_against_refuses_a_fifo(store: Path, fifo: Path) -> None:
    _refused(dws(store, "verify", "--against", str(fifo)), fifo,
             "a checkpoint file, a letter PDF or a witness folder")


def test_a_passphrase_file_that_is_a_fifo_or_a_device_is_refused(store: Path, fifo: Path) -> None:
    env = {"DWS_PASSPHRASE": ""}
    _refused(dws(store, "--passphrase-file", str(fifo), "user", "list", env=env), fifo, "a passphrase file")
    r = dws(store, "--passphrase-file", "/dev/zero", "user", "list", env=env)
    _refused(r, "/dev/zero", "a passphrase file")
    assert f"at most {MAX_SECRET_BYTES // 1024} KiB" in r.err


def test_a_tin_file_that_is_a_fifo_is_refused(store: Path, fifo: Path) -> None:
    _refused(dws(store, "log", "prove", "--tin-file", str(fifo)), fifo, "a TIN file")


def test_a_fifo_swapped_in_between_the_check_and_the_open_is_refused(tmp_path: Path, fifo: Path) -> None:
    """The race: stat says a regular file, then a FIFO is opened (stat is made to lie here). Opened with
    O_NONBLOCK and checked again with fstat, it is refused instead of blocking on open. The JSON packages, the
    policy file and the letters all go through this reader."""
    code = ("import os, sys\n"
            "from pathlib import Path\n"
            "real = os.stat\n"
            "regular = real(sys.argv[2])\n"
            "os.stat = lambda p, *a, **k: regular if str(p) == sys.argv[1] else real(p, *a, **k)\n"
            "from workstation.errors import DwsError\n"
            "from workstation.intake.jsonread import load_json\n"
            "try:\n"
            "    load_json(Path(sys.argv[1]), sys.argv[1])\n"
            "except DwsError as exc:\n"
            "    print(exc)\n")
    regular = tmp_path / "regular.json"
    regular.write_text("{}")
    try:
        proc = subprocess.run([sys.executable, "-c", code, str(fifo), str(regular)], cwd=ROOT, capture_output=True,
                              text=True, timeout=30, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    except subprocess.TimeoutExpired:
        pytest.fail("opening the FIFO waited for a writer")
    assert proc.stdout.startswith(f"{fifo}: is not a regular file (a pipe, a device or a socket)"), proc.stderr


def test_json_imports_and_the_policy_file_refuse_devices(store: Path, tmp_path: Path) -> None:
    r = dws(store, "import", "agency", "/dev/zero")
    _refused(r, "/dev/zero", "a JSON file")
    r = dws(store, "user", "list", env={"DWS_POLICY_FILE": "/dev/zero"})
    assert r.code == 1 and "office policy /dev/zero: is not a regular file" in r.err, r.err


def test_a_letter_and_a_checkpoint_within_the_bounds_are_still_read(store: Path, tmp_path: Path) -> None:
    checkpoint = tmp_path / "now.checkpoint"
    r = dws(store, "log", "checkpoint", "-o", str(checkpoint))
    assert r.code == 0, r.err
    r = dws(store, "verify", "--against", str(checkpoint))
    assert r.code == 0, r.err
    notes = tmp_path / "notes.pdf"
    notes.write_bytes(b"%PDF-1.7\n%%EOF\n")
    r = dws(store, "verify-letter", str(notes))
    assert r.code == 1 and "is not a regular file" not in r.err and "larger than" not in r.err
