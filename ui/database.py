"""The UI thread's handle on the DB worker: submit a job, get its result (or its Failure) in a callback.

    db.call(lambda s: s.queue(), self.on_queue_loaded)
    db.run(job, self.on_evaluated, label="Evaluating DEMO-I2-BULK…", cancellable=True)

Callbacks run in the UI thread, in submission order. A callback bound to a widget that has been deleted in
the meantime is skipped. A job without its own failure callback reports through `failure_reported`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QThread, Signal

from workstation.service import Session, Workstation

from .failures import Failure
from .progress import ProgressGate
from .worker import DbWorker, Job, JobContext

STOP_WAIT_MS = 30_000

Done = Callable[[Any], None]
Failed = Callable[[Failure], None]


@dataclass
class _Pending:
    done: Done | None
    failed: Failed | None
    cancel: threading.Event
    gate: ProgressGate | None
    owner: QObject | None
    urgent: bool

    def alive(self, callback: Callable[..., Any] | None) -> bool:
        """False when the callback's widget (or the job's owner) was deleted while the job ran."""
        if callback is None:
            return False
        for obj in (getattr(callback, "__self__", None), self.owner):
            if isinstance(obj, QObject) and not shiboken6.isValid(obj):
                return False
        return True


class DbClient(QObject):
    job_submitted = Signal(int, object, object)
    stop_requested = Signal()
    failure_reported = Signal(object)        # a Failure no caller handled
    log_written = Signal()                   # a job that appends to the audit log has finished

    def __init__(self, workstation: Workstation, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workstation = workstation
        self._next_id = 0
        self._pending: dict[int, _Pending] = {}
        self.held = False
        self._held: list[Callable[[], None]] = []
        self._thread = QThread()
        self._thread.setObjectName("dws-db-worker")
        self._worker = DbWorker(workstation)
        self._worker.moveToThread(self._thread)
        self.job_submitted.connect(self._worker.on_job_submitted)
        self.stop_requested.connect(self._worker.on_stop_requested)
        self._worker.job_finished.connect(self.on_job_finished)
        self._worker.job_failed.connect(self.on_job_failed)
        self._worker.job_progressed.connect(self.on_job_progressed)
        self._thread.start()

    # --- submitting --------------------------------------------------------------------------------
    def run(self, job: Job, done: Done | None = None, failed: Failed | None = None, *, label: str | None = None,
            cancellable: bool = False, owner: QObject | None = None, urgent: bool = False) -> int:
        """Run `job(ctx)` in the worker. With a label, progress shows when the job is slow. With an owner,
        the callbacks are dropped if the owner is deleted first (for lambdas). While results are held (the
        screen is locked) only an urgent job's callbacks run; the others wait for `release()`."""
        if not self._thread.isRunning():       # shutting down: a repaint or a timer may still ask; nothing runs
            return 0
        self._next_id += 1
        job_id = self._next_id
        cancel = threading.Event()
        gate = None
        if label is not None:
            gate = ProgressGate(label, cancel.set if cancellable else None, self)
        self._pending[job_id] = _Pending(done, failed, cancel, gate, owner, urgent)
        self.job_submitted.emit(job_id, job, cancel)
        return job_id

    def call(self, fn: Callable[[Session], Any], done: Done | None = None, failed: Failed | None = None,
             *, label: str | None = None, owner: QObject | None = None) -> int:
        """Run `fn(session)` in the worker (a quick call; progress only shows if it turns out slow)."""
        return self.run(lambda ctx: fn(ctx.session), done, failed, label=label, owner=owner)

    def cancel(self, job_id: int) -> None:
        pending = self._pending.get(job_id)
        if pending is not None:
            pending.cancel.set()

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def progress_gate(self, job_id: int) -> ProgressGate | None:
        pending = self._pending.get(job_id)
        return pending.gate if pending else None

    def progress_gates(self) -> list[ProgressGate]:
        """The gates of every labelled job still running (its dialog, if shown, has the Cancel button)."""
        return [p.gate for p in self._pending.values() if p.gate is not None]

    # --- results -----------------------------------------------------------------------------------
    def _take(self, job_id: int) -> _Pending | None:
        pending = self._pending.pop(job_id, None)
        if pending is not None and pending.gate is not None:
            pending.gate.finish()
        return pending

    def on_job_finished(self, job_id: int, result: object) -> None:
        pending = self._take(job_id)
        if pending is not None:
            self._deliver(pending, lambda: pending.alive(pending.done) and pending.done(result))  # type: ignore[misc]

    def on_job_failed(self, job_id: int, failure: Failure) -> None:
        pending = self._take(job_id)
        if pending is None or failure.silent:
            return
        if pending.failed is not None:
            self._deliver(pending, lambda: pending.alive(pending.failed) and pending.failed(failure))  # type: ignore[misc]
        else:
            self._deliver(pending, lambda: self.failure_reported.emit(failure))

    def _deliver(self, pending: _Pending, callback: Callable[[], object]) -> None:
        if self.held and not pending.urgent:
            self._held.append(callback)
        else:
            callback()

    def hold(self) -> None:
        """Keep results (and the windows they would open) back while the screen is locked."""
        self.held = True

    def release(self) -> None:
        self.held = False
        held, self._held = self._held, []
        for callback in held:
            callback()

    def on_job_progressed(self, job_id: int, done: int, total: int | None) -> None:
        pending = self._pending.get(job_id)
        if pending is not None and pending.gate is not None:
            pending.gate.on_progressed(done, total)

    # --- stopping ----------------------------------------------------------------------------------
    def stop(self) -> None:
        """Cancel what is queued, close the session in its own thread, and end the thread."""
        if not self._thread.isRunning():
            return
        for pending in self._pending.values():
            pending.cancel.set()
        self.stop_requested.emit()
        if not self._thread.wait(STOP_WAIT_MS):
            raise RuntimeError("the DB worker did not stop")
        for job_id in list(self._pending):
            self._take(job_id)

    @property
    def running(self) -> bool:
        return self._thread.isRunning()

    @property
    def worker_thread_ident(self) -> int | None:
        """The Python thread id of the worker (diagnostics only)."""
        return self._worker.thread_ident


__all__ = ["DbClient", "JobContext"]
