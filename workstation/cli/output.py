"""Standard output as command-line tools treat it, and what a command had saved when it stopped.

`guarded_stdout()` puts a thin wrapper around `sys.stdout` for the length of one command, so that a failed write
to standard output is told apart from a failed write to the store: a reader that went away (`dws list | head
-1`: EPIPE) raises `OutputClosed`, which ends the command quietly as coreutils do; any other failure (a full
disk behind `> file`) raises `OutputFailed`, which names standard output, not the store.

`Changes` follows the sessions a command opens: when an error ends the command, `outcome()` says "nothing was
changed" only when that is known (no session wrote to the audit log, and every store change writes to it), that
the command's changes are saved when a session had committed some, and nothing when it cannot know.
"""

from __future__ import annotations

import errno
import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ..service import Session

NOTHING_CHANGED = "nothing was changed"
SAVED = "what it had saved before stands (see 'dws list' or 'dws verify')"


class OutputClosed(Exception):
    """The reader of standard output went away (EPIPE): the command ends quietly."""


class OutputFailed(Exception):
    """Standard output could not be written for another reason (a full disk, an I/O error)."""

    def __init__(self, exc: OSError) -> None:
        super().__init__(exc.errno)
        self.errno = exc.errno

    def reason(self) -> str:
        if self.errno in (errno.ENOSPC, errno.EDQUOT):
            return "the disk is full"
        if self.errno == errno.EIO:
            return "an input/output error"
        return errno.errorcode.get(self.errno or 0, "an error")


class _GuardedStdout(io.TextIOBase):
    """Passes everything to the real stdout; turns its OSErrors into OutputClosed / OutputFailed."""

    def __init__(self, inner: TextIO) -> None:
        super().__init__()
        self._inner = inner

    def _call(self, name: str, *args: Any) -> Any:
        try:
            return getattr(self._inner, name)(*args)
        except BrokenPipeError:
            raise OutputClosed from None
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise OutputClosed from None
            raise OutputFailed(exc) from None

    def write(self, text: str) -> int:
        try:
            return int(self._call("write", text))
        except UnicodeEncodeError:      # a terminal that cannot show a character: escaped, not a crash
            encoding = self.encoding or "utf-8"
            return int(self._call("write", text.encode(encoding, "backslashreplace").decode(encoding)))

    def flush(self) -> None:
        self._call("flush")

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self._inner.isatty()

    def fileno(self) -> int:
        return self._inner.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._inner, "encoding", "utf-8")

    @property
    def buffer(self) -> Any:
        return self._inner.buffer


@contextmanager
def guarded_stdout() -> Iterator[None]:
    """Guard stdout for the command, and flush it before the end (not at interpreter exit, where a failure is only
    a warning). After an error the error is what is reported, unless the reader had gone away: then nothing is."""
    inner = sys.stdout
    guard = _GuardedStdout(inner)
    sys.stdout = guard
    try:
        try:
            yield
        except (OutputClosed, OutputFailed):
            raise
        except BaseException:
            try:
                guard.flush()           # OutputClosed from here ends the command quietly instead
            except OutputFailed:
                sys.stdout = inner
                silence_stdout()
            raise
        guard.flush()
    finally:
        sys.stdout = inner


def silence_stdout() -> None:
    """After the reader went away: point the real stdout at /dev/null, so that the interpreter's last flush of
    what is still buffered fails no more (the recipe of Python's `signal` documentation). In-process callers
    (tests) have no file descriptor behind stdout: nothing to do."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, io.UnsupportedOperation):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


@dataclass
class Changes:
    """What the command's sessions saved: each is asked when it closes whether it wrote to the audit log."""

    known: bool = True                  # False: a session could not tell, or the command makes a store
    saved: bool = False
    _open: list[Session] = field(default_factory=list)

    def watch(self, session: Session) -> None:
        self._open.append(session)
        session.before_close(lambda: self._closing(session))

    def _closing(self, session: Session) -> None:
        try:
            self.saved = self.saved or session.wrote_to_log()
        except Exception:                   # the store failed under it: nothing can be said
            self.known = False
        finally:
            if session in self._open:
                self._open.remove(session)

    def outcome(self) -> str | None:
        """The words for an error's end: NOTHING_CHANGED, SAVED, or None (not known)."""
        for session in list(self._open):    # a session the error left open (not closed by a `with`)
            self._closing(session)
        if self.saved:
            return SAVED
        return NOTHING_CHANGED if self.known else None
