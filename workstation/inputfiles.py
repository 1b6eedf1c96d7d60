"""Files a user hands in that are read whole (a letter to verify, checkpoints, passphrase and TIN files, JSON
packages, the office policy): regular files only, of a bounded size.

A FIFO would make the reader wait forever for a writer, a device such as /dev/zero would be read until memory
runs out, a folder or socket cannot be read at all: each is refused with one message naming the file. The
file is checked with stat before it is opened, opened with O_NONBLOCK (so opening a FIFO swapped in meanwhile
returns at once instead of waiting for a writer), and checked again with fstat on what was opened; at most
the limit plus one byte is read, so a file that grows meanwhile is refused too.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import InputError

MiB = 1024 * 1024
# A letter PDF (`dws verify-letter`, and `dws verify --against` a letter): the largest letter the product makes,
# a transmittal listing 47,000 subjects (the store of bench/letters.py: 956 pages, 3,345,827 bytes), is 3.2 MiB;
# 64 MiB leaves a margin of 20 times.
MAX_LETTER_BYTES = 64 * MiB
MAX_CHECKPOINT_BYTES = MAX_LETTER_BYTES     # a checkpoint file (a few hundred bytes) or a letter carrying one
MAX_SECRET_BYTES = 64 * 1024                # a passphrase, recovery code or TIN file: one line


def read_input_file(path: Path | str, limit: int, *, source: str | None = None, what: str = "a file") -> bytes:
    """The whole of ``path``, a regular file of at most ``limit`` bytes; else InputError naming ``source``
    (default: the path) and saying what is accepted (``what``: "a letter PDF", ...)."""
    source = source or str(path)
    accepted = f"give {what} (a regular file of at most {_size(limit)})"
    try:
        _check(os.stat(path), limit, source, accepted)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError("cannot read the file: file not found", source=source) from None
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or type(exc).__name__})", source=source) from None
    try:
        _check(os.fstat(fd), limit, source, accepted)
        chunks: list[bytes] = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, MiB))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or type(exc).__name__})", source=source) from None
    finally:
        os.close(fd)
    if left <= 0:
        raise InputError(f"is larger than {_size(limit)}; {accepted}", source=source)
    return b"".join(chunks)


def _check(info: os.stat_result, limit: int, source: str, accepted: str) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"is a folder, not a file; {accepted}", source=source)
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"is not a regular file (a pipe, a device or a socket); {accepted}", source=source)
    if info.st_size > limit:
        raise InputError(f"is larger than {_size(limit)}; {accepted}", source=source)


def _size(limit: int) -> str:
    return f"{limit // MiB} MiB" if limit >= MiB else f"{limit // 1024} KiB"
