"""Crash consistency (issue 13.1): a CI sample of the campaign (bench/crash.py runs >= 500 kills), and the
regression tests of the defects it found."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from crashcheck import campaign
from crashlib import World, build_world

from workstation.service import Workstation
from workstation.store import auditlog

KILLS_PER_PATH = int(os.environ.get("DWS_CRASH_KILLS", "3"))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("crash-world"))


def test_every_write_path_killed_at_random_is_whole_or_absent(world: World, tmp_path: Path) -> None:
    tally = campaign(world, tmp_path, KILLS_PER_PATH, seed=13)
    assert tally.kills == KILLS_PER_PATH * len(world.paths)
    assert tally.problems == []


def test_a_file_written_atomically_leaves_nothing_when_the_writer_is_killed(tmp_path: Path) -> None:
    code = ("import os, signal, sys; from pathlib import Path; from workstation.fsutil import atomic_file\n"
            "with atomic_file(Path(sys.argv[1])) as fh:\n"
            "    fh.write(b'Zebulon Canaryfield ' * 1000); fh.flush(); os.kill(os.getpid(), signal.SIGKILL)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "letter.pdf")], cwd=Path(__file__).parent.parent)
    assert proc.returncode == -signal.SIGKILL
    assert list(tmp_path.iterdir()) == []


def test_keyslots_follow_a_committed_reset_when_the_file_was_not_written(tmp_path: Path, monkeypatch) -> None:
    from workstation.store import opening

    ws = Workstation(tmp_path / "s")
    session, _code, _ = ws.init("admin", "admin-passphrase-1", bind_device=False)
    with session:
        session.add_user("otto", "auditor", "otto-passphrase-1")
        with monkeypatch.context() as mp:      # the process dies after the COMMIT, before keyslots.json
            mp.setattr(opening, "save_keyslots", lambda *a: (_ for _ in ()).throw(SystemExit(9)))
            with pytest.raises(SystemExit):
                session.reset_user("otto", "otto-new-passphrase")
    with ws.unlock("admin", "admin-passphrase-1"):      # any unlock brings keyslots.json forward
        pass
    with ws.unlock("otto", "otto-new-passphrase") as otto, otto.signer("otto-new-passphrase") as signer:
        assert signer.public_key


def test_recover_voids_the_slots_and_resets_the_admin_in_one_transaction(tmp_path: Path, monkeypatch) -> None:
    from workstation.store import users

    ws = Workstation(tmp_path / "s")
    session, code, _ = ws.init("admin", "admin-passphrase-1", bind_device=False)
    with session:
        session.add_user("otto", "auditor", "otto-passphrase-1")
    with ws.unlock_recovery(code) as s:
        monkeypatch.setattr(users, "replace_key", lambda *a: (_ for _ in ()).throw(RuntimeError("killed")))
        with pytest.raises(RuntimeError):
            s.rebind("admin", "admin-new-passphrase")
        assert "store-rebound" not in [e.event for e in auditlog.entries(s.conn)]


def test_a_worker_whose_parent_died_while_it_started_ends_itself(tmp_path: Path) -> None:
    """PR_SET_PDEATHSIG set after the parent is already gone never fires: die_with_parent must notice."""
    marker = tmp_path / "alive"
    code = ("import multiprocessing as mp, os, signal, sys, time\n"
            "from pathlib import Path\n"
            "def work(path):\n"
            "    time.sleep(1.0)\n"
            "    from workstation.processes import die_with_parent\n"
            "    die_with_parent()\n"
            "    Path(path).write_text('survived')\n"
            "if __name__ == '__main__':\n"
            "    worker = mp.get_context('spawn').Process(target=work, args=(sys.argv[1],))\n"
            "    worker.start()\n"
            "    print(worker.pid, flush=True)\n"
            "    time.sleep(0.3)\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n")
    script = tmp_path / "parent.py"
    script.write_text(code)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent))
    done = subprocess.run([sys.executable, str(script), str(marker)], env=env, timeout=30, capture_output=True,
                          text=True)
    worker = int(done.stdout.split()[0])
    import time

    deadline = time.monotonic() + 30        # the worker ends either way: by itself, or after writing the marker
    while _running(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(worker)
    assert not marker.exists()


def _running(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_temp_name_left_by_a_killed_writer_is_removed_by_the_next_write(tmp_path: Path) -> None:
    from workstation.fsutil import atomic_write

    target = tmp_path / "keyslots.json"
    target.write_text("{}")
    (tmp_path / ".keyslots.json.999999999.abcd1234").write_text("{}")     # no such process
    atomic_write(target, b"{}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keyslots.json"]
