"""Locking: idle timeout and Ctrl+L hide every window behind the lock screen; the passphrase (checked in the
worker) brings them back; the clipboard is cleared if the app put taxpayer data on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from guihelp import (  # noqa: F401
    GUI_MARKS,
    WAIT_MS,
    demo_template_fixture,
    desktop_fixture,
    make_desktop,
    open_request,
    store_fixture,
    unlock,
    wait_idle,
)
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from ui.app import DesktopApp
from workstation.demo_store import demo_passphrase
from workstation.service import Workstation

pytestmark = GUI_MARKS
IDLE_MS = 1500


@pytest.fixture
def quick_to_lock(qtbot, store: Workstation) -> Iterator[DesktopApp]:  # type: ignore[no-untyped-def]
    yield from make_desktop(qtbot, store, idle_lock_ms=IDLE_MS)


def unlock_screen(qtbot, desktop: DesktopApp, passphrase: str) -> None:  # type: ignore[no-untyped-def]
    assert desktop.lock is not None
    screen = desktop.lock.screen
    qtbot.keyClicks(screen.passphrase, passphrase)
    qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    wait_idle(qtbot, desktop.db)


def test_idle_lock_hides_every_window_and_the_passphrase_brings_them_back(qtbot, quick_to_lock: DesktopApp) -> None:
    desktop = quick_to_lock
    window = unlock(qtbot, desktop, "rita")
    lock = desktop.lock
    assert lock is not None and not lock.is_locked
    assert window.status.lock_timer.text().startswith("Locks in 0:0")
    with qtbot.waitSignal(lock.locked, timeout=IDLE_MS * 4):
        pass
    assert lock.screen.isVisible() and not window.isVisible()
    unlock_screen(qtbot, desktop, "not-the-passphrase")
    assert lock.is_locked and not window.isVisible()
    assert "wrong passphrase" in lock.screen.error.text()
    with qtbot.waitSignal(lock.unlocked, timeout=WAIT_MS):
        unlock_screen(qtbot, desktop, demo_passphrase("rita"))
    assert window.isVisible() and not lock.screen.isVisible()


def test_ctrl_l_locks_hides_dialogs_and_clears_taxpayer_data_from_the_clipboard(qtbot, desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "rita")
    open_request(qtbot, window, "DEMO-I2-VALID")
    preview = window.request.preview
    window.show_tab(preview)
    qtbot.waitUntil(lambda: preview.fields.rowCount() > 0, timeout=WAIT_MS)
    preview.view.setFocus()
    preview.view.selectRow(0)
    qtbot.keyClick(preview.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    name = preview.fields.rows()[0].text
    assert QGuiApplication.clipboard().text() == f"name: {name}"
    preview.request_original("Checking the name against the case file")
    qtbot.waitUntil(lambda: preview.original_dialog is not None and preview.original_dialog.isVisible(),
                    timeout=WAIT_MS)
    dialog = preview.original_dialog
    assert desktop.lock is not None
    with qtbot.waitSignal(desktop.lock.locked, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert not window.isVisible() and not dialog.isVisible()
    assert QGuiApplication.clipboard().text() == ""
    with qtbot.waitSignal(desktop.lock.unlocked, timeout=WAIT_MS):
        unlock_screen(qtbot, desktop, demo_passphrase("rita"))
    assert window.isVisible() and dialog.isVisible()


def test_results_that_arrive_while_locked_wait_for_the_unlock(qtbot, desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "rita")
    assert desktop.lock is not None
    desktop.lock.lock()
    window.open_request("DEMO-I2-VALID")
    qtbot.wait(300)
    wait_idle(qtbot, desktop.db)
    assert window.request.snapshot is None             # held back: nothing may appear over the lock screen
    with qtbot.waitSignal(window.request.request_loaded, timeout=WAIT_MS):
        unlock_screen(qtbot, desktop, demo_passphrase("rita"))
    assert window.request.snapshot is not None


def test_enter_on_the_lock_screen_with_no_passphrase_counts_nothing(qtbot, desktop: DesktopApp) -> None:
    """Issue 18 item 8: an empty entry is not an attempt, here as on the unlock dialog."""
    window = unlock(qtbot, desktop, "rita")
    assert desktop.lock is not None
    with qtbot.waitSignal(desktop.lock.locked, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    for _ in range(4):
        unlock_screen(qtbot, desktop, "")
        assert desktop.lock.screen.error.text() == "Enter your passphrase."
        assert desktop.lock.screen.unlock.isEnabled()
    with qtbot.waitSignal(desktop.lock.unlocked, timeout=WAIT_MS):
        unlock_screen(qtbot, desktop, demo_passphrase("rita"))
    assert window.isVisible()
