"""The office window in the GUI tests (tests/test_gui_office_*_pg.py): `dws gui --store PROFILE` unlocked through
its dialog as a user would, and every application a test started stopped after it.

    def test_x(qtbot, apps: list[OfficeDesktopApp]) -> None:      # the fixture: from officegui import apps_fixture
        window = unlock_office(qtbot, apps, profile, "rita", passphrase("rita"))
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from guihelp import IDLE_MS, WAIT_MS, wait_idle
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ui.office_app import OfficeDesktopApp
from ui.office_window import OfficeWindow
from workstation.service.office_desktop import OfficeWorkstation


@pytest.fixture(name="apps")
def apps_fixture(qtbot) -> Iterator[list[OfficeDesktopApp]]:  # type: ignore[no-untyped-def]
    """The office applications the test starts (unlock_office adds each); stopped after it, their DB worker and
    queue watch ended, every window closed."""
    running: list[OfficeDesktopApp] = []
    yield running
    for app in running:
        app.stop()
        assert not app.db.running, "the DB worker thread is still running"
        assert app.watch is None
    for widget in QApplication.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    QApplication.processEvents()


def start_unlock(qtbot, apps: list[OfficeDesktopApp], profile: Path, user: str,  # type: ignore[no-untyped-def]
                 passphrase: str) -> OfficeDesktopApp:
    """`dws gui --store PROFILE`, its unlock dialog answered as a user would (acknowledge, type, Enter)."""
    app = OfficeDesktopApp(OfficeWorkstation(profile), idle_lock_ms=IDLE_MS)
    apps.append(app)
    qtbot.addWidget(app.unlock_dialog)
    dialog = app.unlock_dialog
    app.start()
    qtbot.waitExposed(dialog)
    dialog._ack.click()
    qtbot.keyClicks(dialog._user, user)
    qtbot.keyClicks(dialog._passphrase, passphrase)
    qtbot.keyClick(dialog._passphrase, Qt.Key.Key_Return)
    return app


def unlock_office(qtbot, apps: list[OfficeDesktopApp], profile: Path, user: str, passphrase: str, *,  # type: ignore[no-untyped-def]
                  watching: bool = True) -> OfficeWindow:
    """`dws gui --store PROFILE`, unlocked through the dialog (start_unlock); the office window once the queue
    watch runs (unless not `watching`) and every job has answered."""
    app = start_unlock(qtbot, apps, profile, user, passphrase)
    qtbot.waitUntil(lambda: app.window is not None, timeout=WAIT_MS)
    window = app.window
    assert window is not None
    qtbot.addWidget(window)
    if watching:
        qtbot.waitUntil(lambda: app.watch is not None, timeout=WAIT_MS)
    wait_idle(qtbot, app.db)
    return window
