"""Unlock: the system-use warning banner (AC-8) acknowledged first, then user and passphrase; the failed-unlock
lockout (AC-7) shown with the time left; an admin's recovery-code unlock. The unlock runs in the DB worker."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from . import jobs
from .a11y import announce, fit_to_screen
from .database import DbClient
from .failures import LOCKED_OUT, Failure
from .labels import InfoLabel
from .lockout import LockoutCountdown
from .values import SessionInfo

BANNER = (
    "WARNING: This is a U.S. Government computer system. Use of this system is monitored and recorded, "
    "and constitutes consent to monitoring. It holds Federal Tax Information. Unauthorized access, use, "
    "inspection or disclosure of Federal Tax Information is punishable under 26 U.S.C. §§ 7213, 7213A "
    "and 7431 by fines, imprisonment and civil damages."
)


class UnlockDialog(QDialog):
    unlocked = Signal(object)          # SessionInfo

    def __init__(self, db: DbClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Disclosure Workstation — Unlock")
        self._db = db
        self._working = False
        self._no_recovery: str | None = None        # why the recovery code cannot unlock this store (an office)
        banner = InfoLabel("System use notice", BANNER)
        banner.setObjectName("banner")
        banner.setFrameShape(QFrame.Shape.StyledPanel)
        banner.setMargin(8)
        self._ack = QCheckBox("I have &read and accept the notice above")
        self._ack.setAccessibleDescription("Acknowledge the system use notice above; the User and Passphrase "
                                           "fields then open and the focus moves to User")
        self._user = QLineEdit()
        self._user.setAccessibleName("User name")
        self._passphrase = QLineEdit()
        self._passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self._passphrase.setAccessibleName("Passphrase")
        self.error = InfoLabel("Unlock status", announce=True, assertive=True)
        self.error.setObjectName("error")
        form = QFormLayout()
        form.addRow(self._buddy("&User:", self._user), self._user)
        form.addRow(self._buddy("&Passphrase:", self._passphrase), self._passphrase)
        self._buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.unlock_button.setText("&Unlock")
        self.unlock_button.setDefault(True)
        self.unlock_button.setAccessibleName("Unlock")
        self._recovery = QPushButton("Recovery &code…")
        self._recovery.setAccessibleDescription("Unlock with the recovery code (admin)")
        self._buttons.addButton(self._recovery, QDialogButtonBox.ButtonRole.ActionRole)
        for button in (self._recovery, self._buttons.button(QDialogButtonBox.StandardButton.Cancel)):
            button.setAutoDefault(False)     # Enter always means Unlock, wherever the focus went meanwhile
        self._buttons.accepted.connect(self.on_unlock_clicked)
        self._buttons.rejected.connect(self.reject)
        self._recovery.clicked.connect(self.on_recovery_clicked)
        self.where = InfoLabel("Unlocking")          # which office: shown only when set (`show_where`)
        self.where.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(banner)
        layout.addWidget(self.where)
        layout.addWidget(self._ack)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self._buttons)
        self.countdown = LockoutCountdown(self)
        self.countdown.ticked.connect(self.error.set_quietly)      # the first tick follows the failure, announced
        self.countdown.ended.connect(self._update_enabled)
        self.countdown.ended.connect(lambda: announce(self.error, self.error.spoken(), assertive=True))
        self._ack.toggled.connect(self.on_ack_toggled)
        self._user.editingFinished.connect(self.on_user_entered)
        self._user.textChanged.connect(self._update_enabled)
        self.on_ack_toggled(False)
        fit_to_screen(self, 560, self.sizeHint().height())

    def show_where(self, text: str) -> None:
        """Say what is being unlocked (an office and its server), above the user's name."""
        self.where.setText(text)
        self.where.show()
        fit_to_screen(self, self.width(), self.sizeHint().height())

    def refuse_recovery(self, reason: str) -> None:
        """The recovery code cannot unlock this store: its button stays, disabled, saying why."""
        self._no_recovery = reason
        self._recovery.setToolTip(f"Not available: {reason}")
        self._recovery.setAccessibleDescription(f"Not available: {reason}")
        self._update_enabled()

    @staticmethod
    def _buddy(text: str, field: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(field)
        return label

    @property
    def unlock_button(self) -> QPushButton:
        return self._buttons.button(QDialogButtonBox.StandardButton.Ok)

    def _update_enabled(self) -> None:
        ready = self._ack.isChecked() and not self._working
        self._user.setEnabled(ready)
        self._passphrase.setEnabled(ready)
        self._recovery.setEnabled(ready and self._no_recovery is None)
        self.unlock_button.setEnabled(ready and not (self.countdown.active and self._user.text().strip()
                                                     == self.countdown.user))
        self.unlock_button.setDefault(True)          # disabling it while working dropped it as the default

    def on_ack_toggled(self, _checked: bool) -> None:
        self._update_enabled()
        if self._ack.isChecked():
            self._user.setFocus()

    # --- unlocking -----------------------------------------------------------------------------------
    def on_unlock_clicked(self) -> None:
        user = self._user.text().strip()
        if not self._ack.isChecked() or not user or self._working:
            return
        if not self._passphrase.text():         # an empty entry is not an attempt (nothing counted)
            self.error.setText("Enter your passphrase.")
            self._passphrase.setFocus()
            return
        self._start("Unlocking…")
        self._db.run(jobs.unlock(user, self._passphrase.text()), self.on_unlock_finished, self.on_unlock_failed,
                     label="Unlocking the store…")
        self._passphrase.clear()

    def on_recovery_clicked(self) -> None:
        code, ok = QInputDialog.getText(self, "Recovery code", "Recovery code (admin only; the unlock is logged):",
                                        QLineEdit.EchoMode.Password)
        if ok and code.strip():
            self.unlock_with_recovery_code(code.strip())

    def unlock_with_recovery_code(self, code: str) -> None:
        self._start("Unlocking with the recovery code…")
        self._db.run(jobs.unlock_recovery(code), self.on_unlock_finished, self.on_unlock_failed,
                     label="Unlocking the store…")

    def _start(self, message: str) -> None:
        self._working = True
        self._passphrase.setAccessibleDescription("")
        self.error.setText(message)
        self._update_enabled()

    def on_unlock_finished(self, info: SessionInfo) -> None:
        self._working = False
        self.countdown.stop()
        self.error.setText("")
        self.unlocked.emit(info)
        self.accept()

    def on_unlock_failed(self, failure: Failure) -> None:
        self._working = False
        self.error.setText(failure.message)
        self._passphrase.setAccessibleDescription(failure.message)     # read again with the field it returns to
        if failure.kind == LOCKED_OUT:
            self._show_lockout(self._user.text().strip(), failure.seconds_left)
        else:
            self.on_user_entered()
        self._update_enabled()
        self._passphrase.setFocus()

    # --- lockout -------------------------------------------------------------------------------------
    def on_user_entered(self) -> None:
        user = self._user.text().strip()
        if user:
            self._db.run(jobs.lockout_seconds(user), lambda left: self._show_lockout(user, left), owner=self)


    def _show_lockout(self, user: str, seconds: int) -> None:
        self.countdown.start(user, seconds)
        self._update_enabled()

    def done(self, result: int) -> None:
        self.countdown.stop()
        super().done(result)
