"""Kill a `dws` command while its worker processes start, and watch what the workers do afterwards.

    python tests/orphanwatch.py STOP_MS -- python -m workstation.cli.main ...

This process becomes a child subreaper (Linux), starts the command, waits for its first worker process
(a multiprocessing "spawn" child, or a demo worker), lets the worker run STOP_MS milliseconds, freezes it
(SIGSTOP), kills the command with SIGKILL, then lets the worker go on (SIGCONT). The orphaned workers are
reparented to this process, so it reaps them and learns, from the kernel's own accounting, how much CPU time
the first worker used after its parent died. Anything still alive after GRACE seconds is an orphan: reported,
then killed. Prints one JSON document:

    {"worker": true, "cpu_after": 0.01, "seconds_after": 0.02, "orphans": [], "floor": 0.04}

CPU time, not wall time, is the measure: it does not grow with the machine's load. ``floor`` is the CPU time
the least a spawned worker must do takes on this machine (start Python, import the pool's worker loop and
workstation.processes; the best of three), the yardstick the test compares ``cpu_after`` with.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
GRACE = 10.0
WORKER_MARKS = (b"multiprocessing.spawn", b"workstation.demo.worker")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            found += [int(x) for x in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    except OSError:
        pass
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])          # utime + stime (fields 14 and 15 of stat)


def floor() -> float:
    best = float("inf")
    for _ in range(3):
        lean = "import concurrent.futures.process, workstation.processes"
        proc = subprocess.Popen([sys.executable, "-B", "-c", lean],
                                stdin=subprocess.DEVNULL)
        _pid, _status, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0
        best = min(best, usage.ru_utime + usage.ru_stime)
    return best


def main(argv: list[str]) -> int:
    stop_ms = float(argv[0])
    command = argv[argv.index("--") + 1:]
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
    parent = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    worker = None
    deadline = time.monotonic() + 120
    while worker is None and parent.poll() is None and time.monotonic() < deadline:
        worker = next((c for c in _children(parent.pid) if any(m in _cmdline(c) for m in WORKER_MARKS)), None)
        if worker is None:
            time.sleep(0.0005)
    if worker is None:
        parent.kill()
        parent.wait()
        print(json.dumps({"worker": False, "exit": parent.returncode}))
        return 0
    time.sleep(stop_ms / 1000)
    try:
        os.kill(worker, signal.SIGSTOP)
    except ProcessLookupError:                          # it finished its work and ended before the stop point
        parent.kill()
        parent.wait()
        print(json.dumps({"worker": True, "ended_before_stop": True}))
        return 0
    ticks_before = _cpu_ticks(worker)
    parent.kill()
    parent.wait()
    died = time.monotonic()
    cpu_after = seconds_after = None
    try:
        os.kill(worker, signal.SIGCONT)
    except ProcessLookupError:      # already gone (and reaped) as its parent died, while still stopped: it ran no more
        cpu_after = seconds_after = 0.0
    deadline = died + GRACE
    while time.monotonic() < deadline:
        try:
            pid, _status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            break                                       # every orphan has ended and been reaped
        if pid == 0:
            time.sleep(0.002)
            continue
        if pid == worker:
            seconds_after = time.monotonic() - died
            cpu_after = max(0.0, usage.ru_utime + usage.ru_stime - ticks_before / os.sysconf("SC_CLK_TCK"))
    orphans = []
    for pid in _children(os.getpid()):
        orphans.append(_cmdline(pid).replace(b"\0", b" ").decode(errors="replace")[:160])
        os.kill(pid, signal.SIGKILL)
    while True:
        try:
            os.wait4(-1, 0)
        except ChildProcessError:
            break
    print(json.dumps({"worker": True, "cpu_after": cpu_after, "seconds_after": seconds_after,
                      "orphans": orphans, "floor": floor()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
