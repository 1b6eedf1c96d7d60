"""Process-wide helpers for the long jobs: the cyclic collector paused while millions of short-lived, acyclic
objects come and go, and worker processes that die with the process that started them."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import spawn
from multiprocessing.context import SpawnContext, SpawnProcess
from typing import Any

PARENT_CHECK_SECONDS = 0.2      # how often a worker looks whether its parent is still there (besides the signal)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: a bulk job allocates and frees millions of objects without cycles,
    and a full collection over them would only rescan them — for seconds, holding the interpreter (in the GUI,
    the window would freeze while the DB thread collects)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def die_with_parent(parent_pid: int | None = None) -> None:
    """In a worker process: end when the process that started it (``parent_pid``, default: multiprocessing's
    parent) ends, however it ends, so a killed import or evaluation leaves no orphan holding the store open.

    Linux sends SIGKILL when the parent dies (PR_SET_PDEATHSIG); but a parent that died before that was armed
    sends nothing, so the parent is checked right after (found by the crash campaign: a killed evaluation left
    a worker behind), and again every PARENT_CHECK_SECONDS by a watchdog thread, which also covers systems
    without the signal. The parent pid is the one the parent gave, never one read in the worker after the
    parent may already be gone: an orphan's getppid() is its new parent's."""
    if parent_pid is None:
        parent = multiprocessing.parent_process()
        parent_pid = parent.pid if parent is not None else None
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))     # PR_SET_PDEATHSIG
    if parent_pid is None:
        return
    _exit_if_orphaned(parent_pid)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="dws-parent-watch", daemon=True).start()


def _exit_if_orphaned(parent_pid: int) -> None:
    if os.getppid() != parent_pid:
        os._exit(1)


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(PARENT_CHECK_SECONDS)
        _exit_if_orphaned(parent_pid)


def worker_pool(workers: int, initializer: str | None = None, initargs: tuple[Any, ...] = ()) -> ProcessPoolExecutor:
    """``workers`` spawned worker processes that end with this process (``die_with_parent``).

    ``initializer`` ("module:function", called with ``initargs``) is imported and run in each worker only after
    it has checked that this process is alive. A worker starts lean: it does not re-import this program's
    ``__main__`` (the CLI, or the whole application), so it reaches that check within a few hundredths of a
    second of CPU time instead of after the program's imports — a worker whose parent is killed while it
    starts ends at once."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=_LeanSpawnContext(), initializer=start_worker,
                               initargs=(os.getpid(), initializer, initargs))


def start_worker(parent_pid: int, initializer: str | None, initargs: tuple[Any, ...]) -> None:
    """The initializer of every ``worker_pool`` process: die with the parent, then the job's own initializer."""
    die_with_parent(parent_pid)
    if initializer:
        module, _, function = initializer.partition(":")
        getattr(importlib.import_module(module), function)(*initargs)


_spawning = threading.Lock()


class _LeanSpawnProcess(SpawnProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> Any:
        """Spawn as multiprocessing does, without naming the parent's ``__main__`` for the child to import."""
        real = spawn.get_preparation_data

        def lean(name: str) -> dict[str, Any]:
            data = real(name)
            data.pop("init_main_from_name", None)
            data.pop("init_main_from_path", None)
            return data

        with _spawning:
            spawn.get_preparation_data = lean       # read by popen_spawn_posix while this process is launched
            try:
                return SpawnProcess._Popen(process_obj)
            finally:
                spawn.get_preparation_data = real


class _LeanSpawnContext(SpawnContext):
    Process = _LeanSpawnProcess


def release_free_memory() -> None:
    """Hand the memory freed by a large job (an index sort) back to the system at once (glibc keeps it for
    reuse otherwise, and the process's footprint stays at its peak)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)
