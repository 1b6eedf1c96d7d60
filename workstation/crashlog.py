"""Crash reports that cannot leak: exception type and code locations only, never the message or values
(a message may quote the data being processed)."""

from __future__ import annotations

import traceback
from pathlib import Path

from .canonical import utc_now
from .fsutil import atomic_write


def log_dir() -> Path:
    from platformdirs import user_log_path

    return user_log_path("disclosure-workstation", appauthor=False)


def write_crash_report(exc: BaseException) -> Path:
    frames = traceback.extract_tb(exc.__traceback__)
    lines = [f"time: {utc_now()}", f"exception: {type(exc).__module__}.{type(exc).__qualname__}", "frames:"]
    lines += [f"  {f.filename}:{f.lineno} in {f.name}" for f in frames]
    path = log_dir() / f"crash-{utc_now().replace(':', '').replace('.', '')}.txt"
    try:
        atomic_write(path, ("\n".join(lines) + "\n").encode("utf-8"))
    except OSError:
        return Path("(could not write a crash report)")
    return path
