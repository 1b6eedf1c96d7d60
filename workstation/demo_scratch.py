"""Where `dws demo` builds: a private folder beside the target that nothing outlives.

The demo's input files (records, requests, subjects CSVs: synthetic, but taxpayer-shaped plaintext) and the
store being built live in ``<parent>/.<name>.dws-demo-<pid>-<random>/`` (0700, on the target's file system, so
the finished store is renamed into place whole). The folder goes away on every exit path:

* normal end and exceptions: removed by the ``build_folder`` block;
* SIGTERM / SIGHUP: turned into an exception while the folder exists, so the block removes it;
* SIGKILL (or a power cut): a small cleaner process, started before anything is written, waits for the end of
  a pipe only the building process holds and removes the folder the moment that process is gone
  (``python -m workstation.demo_scratch FOLDER``);
* and whatever survives even that (the cleaner killed too): every ``dws demo`` first sweeps the build folders
  in the target's parent whose owner is gone (the owner holds an flock on ``.owner`` for its whole life, taken
  before the file has that name, so a sweep never sees an owner file that is not yet locked).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MARK = ".dws-demo-"          # in every build folder's name: .<target name>.dws-demo-<pid>-<random>
OWNER = ".owner"             # flock-ed by the building process for its whole life

try:
    import fcntl
except ImportError:          # not POSIX: no lock; the owner's pid in the name decides
    fcntl = None  # type: ignore[assignment]


@dataclass(frozen=True)
class BuildFolder:
    root: Path

    @property
    def inputs(self) -> Path:
        return self.root / "inputs"

    @property
    def store(self) -> Path:
        return self.root / "store"


@contextlib.contextmanager
def build_folder(target: Path) -> Iterator[BuildFolder]:
    """A new private build folder beside ``target`` (stale ones from killed builds swept first)."""
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    sweep(parent)
    root = Path(tempfile.mkdtemp(prefix=f".{target.name}{MARK}{os.getpid()}-", dir=parent))
    owner = _own(root)
    cleaner = _start_cleaner(root)
    try:
        with _signals_end_the_build():
            yield BuildFolder(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        if owner is not None:
            os.close(owner)
        if cleaner is not None:
            _stop_cleaner(cleaner)


def sweep(parent: Path) -> list[Path]:
    """Remove the build folders in ``parent`` whose building process is gone; return them."""
    removed = []
    with contextlib.suppress(OSError):
        for entry in parent.iterdir():
            if entry.name.startswith(".") and MARK in entry.name and entry.is_dir() and not _in_use(entry):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
    return removed


def _own(root: Path) -> int | None:
    """Lock the folder's ``.owner`` before it exists under that name: a sweep in another process either finds no
    ``.owner`` (and judges by the pid in the name) or finds it locked, never an owner file not yet locked."""
    staged = root / (OWNER + ".new")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT, 0o600)
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)       # nothing else opens the staged name: taken at once
    os.replace(staged, root / OWNER)
    return fd


def _in_use(folder: Path) -> bool:
    if fcntl is not None:
        try:
            fd = os.open(folder / OWNER, os.O_RDONLY)
        except FileNotFoundError:
            return _pid_alive(folder)        # killed between making the folder and locking it
        except OSError:
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False
    return _pid_alive(folder)


def _pid_alive(folder: Path) -> bool:
    try:
        pid = int(folder.name.split(MARK, 1)[1].split("-", 1)[0])
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (ValueError, IndexError, OSError):
        return True                          # not ours to judge: leave it
    return True


@contextlib.contextmanager
def _signals_end_the_build() -> Iterator[None]:
    """SIGTERM and SIGHUP (a closed terminal) end the build through its ``finally``, like Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def end(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    saved = {sig: signal.signal(sig, end) for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", signal.SIGTERM))}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def _start_cleaner(root: Path) -> subprocess.Popen[bytes] | None:
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    try:
        return subprocess.Popen([sys.executable, "-m", "workstation.demo_scratch", str(root)], env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        return None                          # the sweep at the next start still removes a killed build's folder


def _stop_cleaner(cleaner: subprocess.Popen[bytes]) -> None:
    if cleaner.stdin is not None:
        cleaner.stdin.close()                # end of file: the cleaner removes what is left (nothing) and ends
    with contextlib.suppress(subprocess.TimeoutExpired):
        cleaner.wait(timeout=10)


def cleaner_main(folder: str) -> int:
    """The cleaner: wait until the building process closes the pipe (or dies), then remove its folder."""
    for sig in (signal.SIGINT, getattr(signal, "SIGHUP", signal.SIGINT)):
        signal.signal(sig, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        while sys.stdin.buffer.read(4096):
            pass
    path = Path(folder)
    if path.name.startswith(".") and MARK in path.name:
        shutil.rmtree(path, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(cleaner_main(sys.argv[1]))
