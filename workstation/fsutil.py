"""File-system habits: private files (0600) and atomic writes (temp file, fsync, rename)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def private_umask() -> None:
    """Called once at start-up by the CLI and the GUI: every file we create is 0600, every folder 0700."""
    os.umask(0o077)


def atomic_write(path: Path, data: bytes) -> None:
    with atomic_file(path) as fh:
        fh.write(data)


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A private (0600) file that replaces `path` only when the block ends without an exception: written to a
    temp file beside it, fsynced, renamed over it, and the folder fsynced. For large streamed exports.

    On Linux the temp file has no name while it is written (O_TMPFILE): a process killed half-way (SIGKILL,
    power cut) leaves nothing behind, not even a partial plaintext letter or export. It gets a name only when
    complete: `path` itself when there is none yet, else a temp name renamed over `path` at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _unnamed_file(path.parent)
    if fd is None:
        yield from _named_temp(path)
        return
    try:
        with os.fdopen(fd, "wb", closefd=False) as fh:
            yield fh
            fh.flush()
            os.fsync(fd)
        _link(fd, path)
    finally:
        os.close(fd)
    _fsync_dir(path.parent)


def _unnamed_file(folder: Path) -> int | None:
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.open(folder, flag | os.O_WRONLY, 0o600)
    except OSError:           # a file system without O_TMPFILE support
        return None


def _link(fd: int, path: Path) -> None:
    """Give the unnamed file `fd` the name `path` (linkat through /proc/self/fd with AT_SYMLINK_FOLLOW: Python
    calls linkat, not link, only when a dir fd is given)."""
    procfd = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            os.link(str(fd), path, src_dir_fd=procfd, follow_symlinks=True)
            return
        except FileExistsError:
            pass
        remove_stale(path)
        # imported here: importing this module (every `dws` does) loads no cryptography
        from .crypto import rng

        tmp = path.with_name(f".{path.name}.{os.getpid()}.{rng.token_hex(4)}")
        os.link(str(fd), tmp, src_dir_fd=procfd, follow_symlinks=True)
    finally:
        os.close(procfd)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def remove_stale(path: Path) -> None:
    """Temp names of `path` left by a process killed between naming its complete file and the rename."""
    for stale in path.parent.glob(f".{path.name}.*.*"):
        pid = stale.name.rsplit(".", 2)[-2]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            with contextlib.suppress(OSError):
                os.unlink(stale)


def _named_temp(path: Path) -> Iterator[BinaryIO]:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new name in ``folder`` durable."""
    _fsync_dir(folder)
