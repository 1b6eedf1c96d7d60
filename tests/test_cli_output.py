"""Standard output as command-line tools treat it (issue 18, item 4): a reader that stops early (`dws list | head
-1`) ends the command quietly, as coreutils do (exit status 141, as a shell reports a tool SIGPIPE ends; no message,
no crash report), and "nothing was changed" is said only when it is true: output that cannot be written after an
import committed says the import is saved."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from clihelp import Cli, Result
from test_cli_store import ADMIN, REQUEST, write_json

from workstation.service import Workstation

PIPE_CLOSED = 141          # 128 + SIGPIPE: what `$?` and `${PIPESTATUS[0]}` show for `yes | head -1`


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with three requests (the tests that import add their own)."""
    folder = tmp_path_factory.mktemp("output")
    os.environ["DWS_NO_KEYRING"] = "1"
    session, _code, _notice = Workstation(folder / "store").init("admin", ADMIN["passphrase"])
    with session:
        for i in range(3):
            session.import_request(write_json(folder / f"r{i}.json", dict(REQUEST, request_id=f"DOJ-2026-{i:05d}")))
    return folder / "store"


def dws_into(stdout: int, store: Path, tmp_path: Path, *args: str) -> Result:
    """`dws ARGS` as a subprocess whose standard output is `stdout` (a file descriptor); crash reports go under
    tmp_path/state."""
    env = dict(os.environ, DWS_STORE=str(store), DWS_USER="admin", DWS_PASSPHRASE=ADMIN["passphrase"],
               XDG_STATE_HOME=str(tmp_path / "state"))
    proc = subprocess.run([sys.executable, "-m", "workstation.cli.main", *args], stdout=stdout,
                          stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env, timeout=120, text=True)
    return Result(proc.returncode, "", proc.stderr)


def dws_into_closed_pipe(store: Path, tmp_path: Path, *args: str) -> Result:
    """The reader of the pipe has gone before the command writes (what `| head -1` does after its line)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return dws_into(write_end, store, tmp_path, *args)
    finally:
        os.close(write_end)


def crash_reports(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "state").rglob("crash-*")) if (tmp_path / "state").exists() else []


@pytest.mark.parametrize("args", [("list",), ("list", "--json"), ("user", "list"), ("log", "checkpoint"),
                                  ("settings", "list")], ids=" ".join)
def test_a_reader_that_stops_early_ends_the_command_quietly(store: Path, tmp_path: Path,
                                                             args: tuple[str, ...]) -> None:
    r = dws_into_closed_pipe(store, tmp_path, *args)
    assert r.err == "" and r.code == PIPE_CLOSED, r.err
    assert crash_reports(tmp_path) == []


def test_an_import_whose_output_is_cut_is_kept_and_says_nothing(store: Path, tmp_path: Path) -> None:
    path = write_json(tmp_path / "late.json", dict(REQUEST, request_id="LATE-1"))
    r = dws_into_closed_pipe(store, tmp_path, "import", "request", str(path))
    assert r.code == PIPE_CLOSED and "nothing was changed" not in r.err and "internal error" not in r.err, r.err
    with Workstation(store).unlock("admin", ADMIN["passphrase"]) as s:
        assert "LATE-1" in {row.request_id for row in s.queue()}
    assert crash_reports(tmp_path) == []


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_output_to_a_full_disk_after_an_import_says_the_import_is_saved(store: Path, tmp_path: Path) -> None:
    path = write_json(tmp_path / "full.json", dict(REQUEST, request_id="FULL-1"))
    fd = os.open("/dev/full", os.O_WRONLY)
    try:
        r = dws_into(fd, store, tmp_path, "import", "request", str(path), "--json")
    finally:
        os.close(fd)
    lines = [line for line in r.err.splitlines() if not line.startswith("dws: note:")]
    assert r.code == 1 and len(lines) == 1, r.err
    assert "nothing was changed" not in r.err and "store folder" not in r.err
    assert "standard output" in lines[0] and "disk is full" in lines[0] and "saved" in lines[0]
    with Workstation(store).unlock("admin", ADMIN["passphrase"]) as s:
        assert "FULL-1" in {row.request_id for row in s.queue()}
    assert crash_reports(tmp_path) == []


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_output_to_a_full_disk_after_a_read_says_nothing_was_changed(store: Path, tmp_path: Path) -> None:
    fd = os.open("/dev/full", os.O_WRONLY)
    try:
        r = dws_into(fd, store, tmp_path, "list", "--json")
    finally:
        os.close(fd)
    assert r.code == 1 and r.err.count("\n") == 1, r.err
    assert r.err.startswith("dws: standard output could not be written") and "nothing was changed" in r.err


@pytest.fixture(scope="module")
def forged(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint of another store: `dws verify --against` prints its report, then fails (exit 3)."""
    path = tmp_path_factory.mktemp("forged") / "other.checkpoint"
    with Workstation(store).unlock("admin", ADMIN["passphrase"]) as s:
        note = s.checkpoint().note
    path.write_text("disclosure-workstation/00ff\n" + note.split("\n", 1)[1])
    return path


def test_a_report_cut_before_its_failure_ends_quietly_too(store: Path, tmp_path: Path, forged: Path) -> None:
    r = dws_into_closed_pipe(store, tmp_path, "verify", "--against", str(forged))
    assert r.code == PIPE_CLOSED and r.err == "", r.err
    assert crash_reports(tmp_path) == []


def test_in_process_output_is_whole(store: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard around standard output changes nothing for a reader that reads it all."""
    r = Cli(store, capsys, monkeypatch)("list", "--json", **ADMIN)
    assert r.code == 0 and len(json.loads(r.out)) >= 3
