"""The DB worker: the session lives in its thread; errors come back by the taxonomy; progress shows only
when work is slow, and Cancel reaches the job."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from guihelp import GUI_MARKS, WAIT_MS, demo_template_fixture, desktop_fixture, store_fixture, wait_idle  # noqa: F401
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QPushButton

from ui import jobs
from ui.database import DbClient
from ui.failures import BUG, ERROR, Failure
from ui.worker import JobContext
from workstation.demo_store import demo_passphrase
from workstation.errors import Cancelled, InputError
from workstation.service import Workstation

pytestmark = GUI_MARKS
TAXPAYER_VALUE = "123-45-6789"


@pytest.fixture
def db(qtbot, store: Workstation) -> Iterator[DbClient]:  # type: ignore[no-untyped-def]
    client = DbClient(store)
    yield client
    client.stop()
    assert not client.running


def run(qtbot, db: DbClient, job, **kwargs) -> tuple[list, list]:  # type: ignore[no-untyped-def]
    done: list = []
    failed: list[Failure] = []
    db.run(job, done.append, failed.append, **kwargs)
    wait_idle(qtbot, db)
    return done, failed


def test_the_session_is_opened_in_the_worker_thread_and_closed_there(qtbot, db: DbClient) -> None:
    done, _ = run(qtbot, db, jobs.unlock("rita", demo_passphrase("rita")))
    assert done[0].label == "rita (reviewer)" and done[0].idle_lock_minutes == 15
    session = db._worker.session
    assert session is not None
    with pytest.raises(Exception, match="thread"):
        session.conn.execute("SELECT 1")                 # SQLCipher: this connection belongs to the worker
    rows, _ = run(qtbot, db, lambda ctx: len(ctx.session.queue()))
    assert rows[0] > 20
    db.stop()
    assert db._worker.session is None and not db.running


def test_errors_by_the_taxonomy_and_never_a_taxpayer_value(qtbot, db: DbClient) -> None:
    def user_error(_ctx: JobContext) -> None:
        raise InputError("the reason is too short")

    def bug(_ctx: JobContext) -> None:
        raise ValueError(f"could not parse {TAXPAYER_VALUE}")

    _, failed = run(qtbot, db, user_error)
    assert failed == [Failure(ERROR, "the reason is too short")]
    _, failed = run(qtbot, db, bug)
    assert failed[0].kind == BUG and TAXPAYER_VALUE not in failed[0].message
    assert "Sorry" in failed[0].message and "crash-" in failed[0].message
    report = failed[0].message.split("written to ")[1].split(";")[0]
    text = Path(report).read_text(encoding="utf-8")
    assert "builtins.ValueError" in text and TAXPAYER_VALUE not in text
    _, failed = run(qtbot, db, lambda ctx: ctx.session)           # not unlocked yet
    assert failed[0].kind == ERROR and "not unlocked" in failed[0].message


def test_cancelled_work_is_silent(qtbot, db: DbClient) -> None:
    def cancelled(_ctx: JobContext) -> None:
        raise Cancelled()

    reported: list[Failure] = []
    db.failure_reported.connect(reported.append)
    done, failed = run(qtbot, db, cancelled)
    db.run(cancelled)
    wait_idle(qtbot, db)
    assert done == [] and failed == [] and reported == []


def test_slow_work_gets_a_busy_cursor_then_a_progress_dialog_whose_cancel_reaches_the_job(qtbot,
                                                                                           db: DbClient) -> None:
    seen: list[int] = []

    def slow(ctx: JobContext) -> None:
        for i in range(10_000):
            if ctx.cancelled():
                seen.append(i)
                raise Cancelled()
            ctx.progress(i, 10_000)
            time.sleep(0.005)

    reported: list[Failure] = []
    db.failure_reported.connect(reported.append)
    job_id = db.run(slow, label="Evaluating a big request…", cancellable=True)
    gate = db.progress_gate(job_id)
    assert gate is not None and gate.dialog is None
    qtbot.wait(150)
    assert QGuiApplication.overrideCursor() is None and gate.dialog is None        # quick work shows nothing
    qtbot.waitUntil(lambda: QGuiApplication.overrideCursor() is not None, timeout=1000)
    qtbot.waitUntil(lambda: gate.dialog is not None and gate.dialog.isVisible(), timeout=1000)
    qtbot.waitUntil(lambda: gate.dialog.value() > 0, timeout=WAIT_MS)
    assert gate.dialog.labelText() == "Evaluating a big request…"
    cancel = gate.dialog.findChild(QPushButton)
    assert cancel.text() == "&Cancel"
    cancel.click()
    wait_idle(qtbot, db)
    assert seen and seen[0] < 10_000 and reported == []
    assert QGuiApplication.overrideCursor() is None
