"""Unlock: the banner first, a wrong passphrase, the lockout with its time left, the recovery code; the
unlock runs in the DB worker and the main window opens on the queue."""

from __future__ import annotations

import re

from guihelp import GUI_MARKS, WAIT_MS, demo_template_fixture, desktop_fixture, store_fixture, unlock, wait_idle  # noqa: F401
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from ui.app import DesktopApp
from ui.queue_model import QueueModel

pytestmark = GUI_MARKS


def test_banner_must_be_acknowledged_before_the_fields(qtbot, desktop: DesktopApp) -> None:
    dialog = desktop.unlock_dialog
    desktop.start()
    assert not dialog._user.isEnabled() and not dialog._passphrase.isEnabled()
    assert not dialog.unlock_button.isEnabled()
    banner = dialog.findChild(QLabel, "banner")
    assert banner.textFormat() == Qt.TextFormat.PlainText
    assert "Federal Tax Information" in banner.text() and "7213A" in banner.text() and "7431" in banner.text()
    dialog._ack.click()
    assert dialog._user.isEnabled() and dialog._passphrase.isEnabled() and dialog.unlock_button.isEnabled()


def _try(qtbot, desktop: DesktopApp, user: str, passphrase: str) -> None:  # type: ignore[no-untyped-def]
    dialog = desktop.unlock_dialog
    dialog._user.setText(user)
    qtbot.keyClicks(dialog._passphrase, passphrase)
    qtbot.keyClick(dialog._passphrase, Qt.Key.Key_Return)
    wait_idle(qtbot, desktop.db)


def test_wrong_passphrase_shows_the_error_and_clears_the_field(qtbot, desktop: DesktopApp) -> None:
    desktop.start()
    desktop.unlock_dialog._ack.click()
    _try(qtbot, desktop, "rita", "not-the-passphrase")
    assert desktop.window is None
    assert "wrong passphrase" in desktop.unlock_dialog.error.text()
    assert desktop.unlock_dialog._passphrase.text() == ""


def test_three_failures_lock_the_user_out_and_the_dialog_counts_down(qtbot, desktop: DesktopApp) -> None:
    dialog = desktop.unlock_dialog
    desktop.start()
    dialog._ack.click()
    for _ in range(3):
        _try(qtbot, desktop, "otto", "not-the-passphrase")
    text = dialog.error.text()
    assert "Too many failed unlocks for 'otto'" in text
    minutes, seconds = map(int, re.search(r"another (\d+):(\d\d)", text).groups())  # type: ignore[union-attr]
    assert 14 * 60 <= minutes * 60 + seconds <= 15 * 60
    assert not dialog.unlock_button.isEnabled()
    # even the right passphrase is refused now (the service says so; the dialog shows the time left)
    dialog.unlock_button.setEnabled(True)
    _try(qtbot, desktop, "otto", "demo-otto-passphrase")
    assert desktop.window is None
    assert "Too many failed unlocks" in dialog.error.text()
    # another user is not locked out
    dialog._user.setText("rita")
    assert dialog.unlock_button.isEnabled()


def test_unlock_opens_the_main_window_on_the_queue(qtbot, desktop: DesktopApp, qtmodeltester) -> None:
    window = unlock(qtbot, desktop, "rita")
    assert not desktop.unlock_dialog.isVisible()
    assert window.isVisible()
    assert window.status.user.text() == "User: rita (reviewer)"
    qtbot.waitUntil(lambda: "chain verified" in window.status.log.text(), timeout=WAIT_MS)
    assert "DEMO-I2-BULK" in {r.request_id for r in window.queue.model.rows()}
    qtmodeltester.check(window.queue.model)
    qtmodeltester.check(window.queue.proxy)
    assert isinstance(window.queue.model, QueueModel)


def test_recovery_code_opens_an_admin_session(qtbot, desktop: DesktopApp, demo_template) -> None:
    dialog = desktop.unlock_dialog
    desktop.start()
    dialog._ack.click()
    dialog.unlock_with_recovery_code("not-the-code")
    wait_idle(qtbot, desktop.db)
    assert desktop.window is None and "wrong recovery code" in dialog.error.text()
    dialog.unlock_with_recovery_code(demo_template.recovery_code)
    qtbot.waitUntil(lambda: desktop.window is not None, timeout=WAIT_MS)
    assert desktop.window is not None
    qtbot.addWidget(desktop.window)
    assert "recovery-code session (admin)" in desktop.window.status.user.text()
    qtbot.waitUntil(lambda: desktop.window.queue.model.rowCount() > 0, timeout=WAIT_MS)
    wait_idle(qtbot, desktop.db)


def test_enter_on_an_empty_passphrase_is_not_a_failed_attempt(qtbot, desktop: DesktopApp) -> None:
    """Issue 18 item 8: three presses of Enter on an empty field used to lock the user out for 15 minutes."""
    dialog = desktop.unlock_dialog
    desktop.start()
    dialog._ack.click()
    for _ in range(4):
        _try(qtbot, desktop, "otto", "")
        assert dialog.error.text() == "Enter your passphrase."
        assert dialog.unlock_button.isEnabled()
    _try(qtbot, desktop, "otto", "demo-otto-passphrase")
    qtbot.waitUntil(lambda: desktop.window is not None, timeout=WAIT_MS)
    assert "Too many failed unlocks" not in dialog.error.text()


def test_a_failed_self_test_shows_its_message_and_opens_nothing(qtbot, desktop: DesktopApp, monkeypatch) -> None:
    from workstation.crypto import selftest

    monkeypatch.setattr(selftest, "_passed", {})
    vector = selftest.VECTORS["HKDF-SHA-256"]
    monkeypatch.setitem(selftest.VECTORS, "HKDF-SHA-256", {**vector, "okm": "00" + vector["okm"][2:]})
    desktop.start()
    desktop.unlock_dialog._ack.click()
    _try(qtbot, desktop, "rita", "demo-rita-passphrase")
    assert desktop.window is None
    assert "cryptographic self-test failed (HKDF-SHA-256 gave a wrong answer)" in desktop.unlock_dialog.error.text()
