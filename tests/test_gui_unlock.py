"""The desktop application's first screens, driven with pytest-qt on a real store (offscreen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QLineEdit

from ui.main_window import MainWindow
from ui.queue_model import QueueModel
from ui.unlock_dialog import UnlockDialog
from workstation.service import Workstation

PW = "admin-passphrase-1"


@pytest.fixture
def store(tmp_path: Path) -> Workstation:
    ws = Workstation(tmp_path / "store")
    session, _code, _notice = ws.init("admin", PW)
    session.close()
    return ws


def fields(dialog: UnlockDialog) -> tuple[QLineEdit, QLineEdit]:
    edits = dialog.findChildren(QLineEdit)
    by_name = {e.accessibleName(): e for e in edits}
    return by_name["User name"], by_name["Passphrase"]


def test_banner_must_be_acknowledged_before_unlocking(qtbot, store: Workstation) -> None:
    dialog = UnlockDialog(store)
    qtbot.addWidget(dialog)
    user, passphrase = fields(dialog)
    unlock = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    assert not user.isEnabled() and not passphrase.isEnabled() and not unlock.isEnabled()
    texts = " ".join(lbl.text() for lbl in dialog.findChildren(QLabel))
    assert "Federal Tax Information" in texts and "7213A" in texts and "7431" in texts
    dialog._ack.click()
    assert user.isEnabled() and passphrase.isEnabled() and unlock.isEnabled()


def test_wrong_passphrase_shows_the_error_and_clears_the_field(qtbot, store: Workstation) -> None:
    dialog = UnlockDialog(store)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog._ack.click()
    user, passphrase = fields(dialog)
    qtbot.keyClicks(user, "admin")
    qtbot.keyClicks(passphrase, "not-the-passphrase")
    qtbot.keyClick(passphrase, Qt.Key.Key_Return)
    assert dialog.session is None
    assert "wrong passphrase" in dialog._error.text()
    assert passphrase.text() == ""


def test_unlock_opens_the_main_window_with_the_queue(qtbot, store: Workstation, qtmodeltester) -> None:
    dialog = UnlockDialog(store)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog._ack.click()
    user, passphrase = fields(dialog)
    qtbot.keyClicks(user, "admin")
    qtbot.keyClicks(passphrase, PW)
    qtbot.keyClick(passphrase, Qt.Key.Key_Return)
    assert dialog.session is not None and dialog.result() == dialog.DialogCode.Accepted
    window = MainWindow(dialog.session)
    qtbot.addWidget(window)
    window.show()
    assert "admin" in window.statusBar().findChildren(QLabel)[0].text()
    qtmodeltester.check(QueueModel(dialog.session.queue()))
    dialog.session.close()
