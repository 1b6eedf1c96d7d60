"""The child process of the crash campaign (tests/crashlib.py): runs one `dws` command — or, for a write path
the CLI has no command for, one service call — with a kill point inside.

    python tests/crashchild.py ARGS...            # the `dws` command line
    python tests/crashchild.py @setting KEY VALUE # Session.change_setting as $DWS_USER (the GUI's path)

Counted operations: every SQL statement this process starts (SQLite's trace hook, so each row of a bulk insert
and the COMMIT are points) and every os.replace / os.rename / os.unlink / os.fsync / os.write. With
DWS_CRASH_AT=N the process sends itself SIGKILL just before its Nth operation; with DWS_CRASH_COUNT=FILE it
writes how many operations it ran to FILE when it ends (the calibration run). With DWS_CRASH_PAUSE=FILE as well,
the process does not kill itself: at the first file operation from the Nth operation on it writes FILE and waits
there (up to two minutes) for the test to signal it, so a signal lands mid-command on a machine of any speed.
Worker processes (spawned) are not counted: they are killed by the death of this process, which is what the
campaign checks.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, os.getcwd())

_count = 0
_kill_at = int(os.environ.get("DWS_CRASH_AT", "0") or 0)
_pause = os.environ.get("DWS_CRASH_PAUSE", "")


def _tick(*_args: Any) -> None:
    global _count
    _count += 1
    if _count == _kill_at and not _pause:
        os.kill(os.getpid(), signal.SIGKILL)


def _wait_for_signal() -> None:
    """Pause mode: say so, then sleep in plain Python (not inside an SQLite callback, which would swallow the
    exception a signal handler raises), so the handler's exception leaves through the command's own code."""
    global _pause
    path, _pause = _pause, ""
    Path(path).write_text("paused")
    time.sleep(120)


def _counted(func: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _tick()
        if _pause and _count >= _kill_at:
            _wait_for_signal()
        return func(*args, **kwargs)
    return wrapper


def _install() -> None:
    import sqlcipher3

    connect = sqlcipher3.connect

    def traced_connect(*args: Any, **kwargs: Any) -> Any:
        conn = connect(*args, **kwargs)
        conn.set_trace_callback(_tick)
        return conn

    sqlcipher3.connect = traced_connect
    for name in ("replace", "rename", "unlink", "fsync", "write"):
        setattr(os, name, _counted(getattr(os, name)))


def _test_kdf() -> None:
    """The suite's cheap Argon2id cost for the keyslots this child makes (DWS_TEST_KDF, set by tests/conftest.py;
    bench/crash.py leaves it unset: the product's cost). Kill points count operations, or fall within the
    duration measured with the same cost, so none moves out of reach."""
    cost = os.environ.get("DWS_TEST_KDF")
    if cost:
        from workstation.keys.primitives import KdfParams

        KdfParams.__init__.__defaults__ = tuple(int(x) for x in cost.split(","))


def _setting(key: str, value: str) -> int:
    import json

    from workstation import clock as clocks
    from workstation.service import Workstation

    ws = Workstation(Path(os.environ["DWS_STORE"]))
    with clocks.use(clocks.from_environment()), ws.unlock(os.environ["DWS_USER"], os.environ["DWS_PASSPHRASE"]) as s:
        s.change_setting(key, json.loads(value))
    return 0


def main(argv: list[str]) -> int:
    _test_kdf()
    _install()
    try:
        if argv and argv[0] == "@setting":
            return _setting(argv[1], argv[2])
        from workstation.cli.main import main as dws

        return dws(argv)
    finally:
        report = os.environ.get("DWS_CRASH_COUNT")
        if report:
            Path(report).write_text(str(_count))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
