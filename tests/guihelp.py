"""Shared fixtures for the GUI tests (pytest-qt, offscreen, a real demo store copied per test).

Fixtures are imported under their function names (`from guihelp import FIXTURES`), used by their fixture names
(`demo_template`, `store`, `desktop`). Every GUI
test module also sets `pytestmark = GUI_MARKS`, so that a Qt warning fails the test.

A module that needs the demo store in another state prepares it once with `decided_copy` and gives each test its
own copy with `copy_store` (its own `store` fixture); `open_store` opens a store through the service (set-up, and
reading what the GUI did); `open_tab` signs in and shows one tab of a request, as the user would.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QMessageBox, QWidget

from ui.app import DesktopApp, prepare_process
from ui.database import DbClient
from ui.failures import Failure
from ui.main_window import MainWindow
from ui.request_view import RequestView
from ui.signing_dialog import SigningDialog
from workstation.demo_store import create_demo_store, demo_passphrase
from workstation.service import Session, Workstation
from workstation.store import auditlog

prepare_process(private_files=False)   # before any slot runs (ui/qtfix.py); the suite's umask is left alone

GUI_MARKS = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)\(\)"),    # offscreen
]
WAIT_MS = 20_000
IDLE_MS = 10 * 60_000          # tests that are not about locking never lock
T = TypeVar("T")
W = TypeVar("W", bound=QWidget)


@dataclass(frozen=True)
class DemoTemplate:
    path: Path
    recovery_code: str


@pytest.fixture(scope="session", name="demo_template")
def demo_template_fixture(tmp_path_factory: pytest.TempPathFactory) -> DemoTemplate:
    """One small demo store per test session (about 7 s); each test works on its own copy."""
    path = tmp_path_factory.mktemp("gui-demo") / "store"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DWS_NO_KEYRING", "1")
        result = create_demo_store(path, taxpayers=1000, bulk_subjects=200)
    return DemoTemplate(path, result.recovery_code)


def copy_store(source: Path, tmp_path: Path) -> Workstation:
    """The test's own copy of a prepared store (the `desktop` fixture runs on it)."""
    assert os.environ.get("DWS_NO_KEYRING") == "1"
    dest = tmp_path / "store"
    shutil.copytree(source, dest)
    return Workstation(dest)


@pytest.fixture(name="store")
def store_fixture(demo_template: DemoTemplate, tmp_path: Path) -> Workstation:
    return copy_store(demo_template.path, tmp_path)


def open_store(store: Workstation, user: str) -> Session:
    """`store` unlocked as the demo user `user` through the service (not the GUI)."""
    return store.unlock(user, demo_passphrase(user))


def decided_copy(template: DemoTemplate, dest: Path, decisions: Mapping[str, str],
                 approved: Iterable[str] = ()) -> Path:
    """A copy of the demo store at `dest` where rita signed `decisions` (request id: outcome, in that order) and
    alex approved the requests `approved`, through the service (the Decision tab has its own tests)."""
    shutil.copytree(template.path, dest)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DWS_NO_KEYRING", "1")        # module-scoped callers run before the per-test fixture sets it
        store = Workstation(dest)
        with open_store(store, "rita") as s:
            for request_id, outcome in decisions.items():
                s.decide(request_id, outcome, None, demo_passphrase("rita"))
        approvals = list(approved)
        if approvals:
            with open_store(store, "alex") as s:
                for request_id in approvals:
                    s.approve(request_id, demo_passphrase("alex"))
    return dest


def make_desktop(qtbot, store: Workstation, idle_lock_ms: int = IDLE_MS) -> Iterator[DesktopApp]:  # type: ignore[no-untyped-def]
    desktop = DesktopApp(store, idle_lock_ms=idle_lock_ms)
    qtbot.addWidget(desktop.unlock_dialog)
    try:
        yield desktop
    finally:
        desktop.stop()
        assert not desktop.db.running, "the DB worker thread is still running"
        for widget in QApplication.topLevelWidgets():
            widget.close()
            widget.deleteLater()
        QApplication.processEvents()


@pytest.fixture(name="desktop")
def desktop_fixture(qtbot, store: Workstation) -> Iterator[DesktopApp]:  # type: ignore[no-untyped-def]
    yield from make_desktop(qtbot, store)


def wait_idle(qtbot, db: DbClient, timeout: int = WAIT_MS) -> None:  # type: ignore[no-untyped-def]
    """Until every job submitted so far (and every job their callbacks submitted) has answered."""
    qtbot.waitUntil(lambda: not db.busy, timeout=timeout)


def unlock(qtbot, desktop: DesktopApp, user: str = "rita") -> MainWindow:  # type: ignore[no-untyped-def]
    """Through the unlock dialog as a user would: acknowledge, type, press Enter; wait for the queue."""
    dialog = desktop.unlock_dialog
    desktop.start()
    qtbot.waitExposed(dialog)
    dialog._ack.click()
    qtbot.keyClicks(dialog._user, user)
    qtbot.keyClicks(dialog._passphrase, demo_passphrase(user))
    qtbot.keyClick(dialog._passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: desktop.window is not None, timeout=WAIT_MS)
    window = desktop.window
    assert window is not None
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.queue.model.rowCount() > 0, timeout=WAIT_MS)
    wait_idle(qtbot, desktop.db)
    return window


def open_request(qtbot, window: MainWindow, request_id: str) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.request.request_loaded, timeout=WAIT_MS):
        window.open_request(request_id)


def show_tab(qtbot, desktop: DesktopApp, window: MainWindow, request_id: str,  # type: ignore[no-untyped-def]
             tab: Callable[[RequestView], W]) -> W:
    """Open the request and show the tab `tab` picks from its view; wait until every job has answered."""
    open_request(qtbot, window, request_id)
    page = tab(window.request)
    window.show_tab(page)
    wait_idle(qtbot, desktop.db)
    return page


def open_tab(qtbot, desktop: DesktopApp, user: str, request_id: str,  # type: ignore[no-untyped-def]
             tab: Callable[[RequestView], W]) -> tuple[MainWindow, W]:
    """Sign in as `user` (`unlock`), open the request and show the tab `tab` picks (`show_tab`)."""
    window = unlock(qtbot, desktop, user)
    return window, show_tab(qtbot, desktop, window, request_id, tab)


def message_boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def file_dialog(qtbot) -> QFileDialog:  # type: ignore[no-untyped-def]
    """The file dialog that is open (opened with `open()`, so the test goes on while it shows)."""
    found: list[QFileDialog] = []

    def shown() -> bool:
        found[:] = [w for w in QApplication.allWidgets() if isinstance(w, QFileDialog) and w.isVisible()]
        return len(found) == 1

    qtbot.waitUntil(shown, timeout=WAIT_MS)
    return found[0]


def choose_file(qtbot, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Pick `path` in the open file dialog and accept it, as choosing the file and pressing Enter does."""
    dialog = file_dialog(qtbot)
    dialog.setDirectory(str(path.parent))
    dialog.selectFile(str(path))
    dialog.accept()


def ask(qtbot, db: DbClient, fn: Callable[[Session], T], timeout: int = WAIT_MS) -> T:  # type: ignore[no-untyped-def]
    """Run `fn(session)` in the DB worker (after every job already submitted) and return its result."""
    answers: list[T] = []
    failures: list[Failure] = []
    db.call(fn, answers.append, failures.append)
    qtbot.waitUntil(lambda: bool(answers or failures), timeout=timeout)
    assert not failures, failures[0].message
    return answers[0]


def log_entries(qtbot, db: DbClient, prefix: str = "") -> list[tuple[str, str | None, dict]]:  # type: ignore[no-untyped-def]
    """(event, object, detail) of every audit-log entry whose event starts with `prefix`, read in the worker."""
    return ask(qtbot, db, lambda s: [(e.event, e.object, e.detail) for e in auditlog.entries(s.conn)
                                     if e.event.startswith(prefix)])


class Desktops:
    """Start the application (again) on the test's store, and quit it, as a user would: for flows that quit
    and sign in as another user. Windows are deleted when the test ends, after pytest-qt has closed them."""

    def __init__(self, qtbot, store: Workstation) -> None:  # type: ignore[no-untyped-def]
        self._qtbot, self._store = qtbot, store
        self.running: list[DesktopApp] = []

    def start(self) -> DesktopApp:
        desktop = DesktopApp(self._store, idle_lock_ms=IDLE_MS)
        self._qtbot.addWidget(desktop.unlock_dialog)
        self.running.append(desktop)
        return desktop

    def quit(self, desktop: DesktopApp) -> None:
        """What Quit does (without ending the test's QApplication): windows closed, session and thread ended."""
        self.running.remove(desktop)
        desktop.stop()
        assert not desktop.db.running, "the DB worker thread is still running"


@pytest.fixture(name="desktops")
def desktops_fixture(qtbot, store: Workstation) -> Iterator[Desktops]:  # type: ignore[no-untyped-def]
    desktops = Desktops(qtbot, store)
    yield desktops
    for desktop in list(desktops.running):
        desktops.quit(desktop)
    for widget in QApplication.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    QApplication.processEvents()


def answer_passphrase(passphrase: str | None, answered: list[str]) -> None:
    """When the passphrase dialog opens (QInputDialog, modal; or the signing dialog, which restates what is
    signed first), type the passphrase and press OK, as the user would (None: press Cancel). Polls for at most
    WAIT_MS; `answered` gets the dialog's text once done (a signing dialog's: its prompt, then each fact)."""
    tries = [WAIT_MS // 20]

    def attempt() -> None:
        dialogs = [w for w in QApplication.topLevelWidgets()
                   if isinstance(w, QInputDialog | SigningDialog) and w.isVisible()]
        if not dialogs:
            tries[0] -= 1
            if tries[0] > 0:
                QTimer.singleShot(20, attempt)
            return
        dialog = dialogs[0]
        if isinstance(dialog, SigningDialog):
            answered.append(dialog.text())
            if passphrase is None:
                dialog.buttons.rejected.emit()
                return
            dialog.passphrase.setText(passphrase)
            dialog.ok.click()
            return
        answered.append(dialog.labelText())
        if passphrase is None:
            dialog.reject()
            return
        dialog.setTextValue(passphrase)
        dialog.accept()

    QTimer.singleShot(0, attempt)
