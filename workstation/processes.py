"""Process-wide helpers for the long jobs: the cyclic collector paused while millions of short-lived, acyclic
objects come and go, and worker processes that die with the process that started them."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import signal
import sys
from collections.abc import Iterator


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


def die_with_parent() -> None:
    """In a worker process: get SIGKILL when the process that started it ends, however it ends (Linux), so a
    killed import or evaluation leaves no orphan holding the store open."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)     # PR_SET_PDEATHSIG
    # The parent may have died while this worker was starting (before the line above): no signal will come
    # then, so look (found by the crash campaign: a killed evaluation left a worker behind).
    parent = multiprocessing.parent_process()
    if parent is not None and parent.pid is not None and os.getppid() != parent.pid:
        os._exit(1)


def release_free_memory() -> None:
    """Hand the memory freed by a large job (an index sort) back to the system at once (glibc keeps it for
    reuse otherwise, and the process's footprint stays at its peak)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)
