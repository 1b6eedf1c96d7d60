"""The DB worker: one QThread that owns the Session.

SQLCipher connections belong to the thread that opened them, so the unlock itself runs here and the Session
never leaves this thread. A job is a callable taking a `JobContext`; it returns plain values (frozen
dataclasses, tuples, bytes), which travel back to the UI thread as signals. Exceptions are classified here
(`failures.classify`), so no traceback and no exception text other than a DwsError's reaches a widget.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from workstation.errors import AuthError, Cancelled
from workstation.service import Session, Workstation

from .failures import classify

PROGRESS_INTERVAL_S = 0.05


class JobContext:
    """What a job sees (in the worker thread): the store, the session, progress and cancellation."""

    def __init__(self, worker: DbWorker, job_id: int, cancel: threading.Event) -> None:
        self._worker = worker
        self._job_id = job_id
        self._cancel = cancel
        self._last_progress = 0.0

    @property
    def workstation(self) -> Workstation:
        return self._worker.workstation

    @property
    def session(self) -> Session:
        if self._worker.session is None:
            raise AuthError("the store is not unlocked")
        return self._worker.session

    def adopt(self, session: Session) -> None:
        """Make `session` (just opened in this thread) the one every later job uses."""
        self._worker.close_session()
        self._worker.session = session

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def progress(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self._last_progress >= PROGRESS_INTERVAL_S or (total is not None and done >= total):
            self._last_progress = now
            self._worker.job_progressed.emit(self._job_id, done, total)


Job = Callable[[JobContext], Any]


class DbWorker(QObject):
    """Lives in the worker thread; runs one job at a time, in the order submitted."""

    job_finished = Signal(int, object)
    job_failed = Signal(int, object)          # Failure
    job_progressed = Signal(int, object, object)

    def __init__(self, workstation: Workstation) -> None:
        super().__init__()
        self.workstation = workstation
        self.session: Session | None = None
        self.thread_ident: int | None = None      # for diagnostics (bench/gui.py names where a stall ended)

    @Slot(int, object, object)
    def on_job_submitted(self, job_id: int, job: Job, cancel: threading.Event) -> None:
        self.thread_ident = threading.get_ident()
        try:
            if cancel.is_set():
                raise Cancelled()
            result = job(JobContext(self, job_id, cancel))
        except BaseException as exc:  # every failure is classified; none escapes the thread
            self.job_failed.emit(job_id, classify(exc))
            return
        self.job_finished.emit(job_id, result)

    @Slot()
    def on_stop_requested(self) -> None:
        """Queued after every job submitted before it: a checkpoint to the witness folder (on exit), close
        the session here, then end the thread."""
        self.append_witness()
        self.close_session()
        self.thread().quit()

    def append_witness(self) -> None:
        """The exit's checkpoint to the witness folder. It never keeps the application from closing: a
        folder that cannot be written is a warning on stderr (there is no window left to show it in)."""
        if self.session is None:
            return
        try:
            outcome = self.session.append_witness()
        except Exception as exc:       # a bug here must not keep the session from closing
            print(f"dws: warning: no checkpoint was written to the witness folder at exit "
                  f"({type(exc).__name__})", file=sys.stderr)
            return
        if outcome.warning:
            print(f"dws: warning: {outcome.warning}", file=sys.stderr)

    def close_session(self) -> None:
        if self.session is not None:
            session, self.session = self.session, None
            session.close()
