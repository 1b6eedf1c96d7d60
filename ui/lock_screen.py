"""The lock screen: every other window is hidden behind it until the user gives the passphrase again
(checked by the service in the DB worker; failures count towards the lockout). It is a main window, so a
screen reader meets a window with its title, not an anonymous panel; Esc does not close it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QMainWindow, QPushButton, QVBoxLayout, QWidget

from . import jobs
from .a11y import announce, fit_to_screen
from .database import DbClient
from .failures import LOCKED_OUT, Failure
from .labels import InfoLabel, plain_label
from .lockout import LockoutCountdown
from .values import SessionInfo


class LockScreen(QMainWindow):
    unlocked = Signal()
    quit_requested = Signal()

    def __init__(self, db: DbClient, info: SessionInfo) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setWindowTitle("Disclosure Workstation — Locked")
        self.setAccessibleName("Disclosure Workstation — Locked")
        self._db, self._info = db, info
        title = QLabel("The workstation is locked")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        title.setFont(font)
        if info.recovery:
            text = ("This recovery-code session was locked and cannot be resumed (it has no passphrase). "
                    "Quit, then unlock again.")
        else:
            text = f"Locked for {info.label}. Enter your passphrase to continue, or quit."
        self.message = plain_label(text)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        self.passphrase.returnPressed.connect(self.on_unlock_clicked)
        label = QLabel("&Passphrase:")
        label.setBuddy(self.passphrase)
        self.error = InfoLabel("Unlock status", announce=True, assertive=True)
        self.unlock = QPushButton("&Unlock")
        self.unlock.setAccessibleName("Unlock")
        self.unlock.setDefault(True)
        self.unlock.clicked.connect(self.on_unlock_clicked)
        quit_button = QPushButton("&Quit")
        quit_button.setAccessibleDescription("Quit the workstation")
        quit_button.clicked.connect(self.quit_requested)
        self.countdown = LockoutCountdown(self)
        self.countdown.ticked.connect(self.error.set_quietly)      # the first tick follows the failure, announced
        self.countdown.ended.connect(self._update_enabled)
        self.countdown.ended.connect(lambda: announce(self.error, self.error.spoken(), assertive=True))
        row = QHBoxLayout()
        row.addWidget(label)
        row.addWidget(self.passphrase, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.unlock)
        buttons.addWidget(quit_button)
        body = QWidget()
        self.setCentralWidget(body)
        layout = QVBoxLayout(body)
        layout.addWidget(title)
        layout.addWidget(self.message)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self._working = False
        self.passphrase.setVisible(not info.recovery)
        label.setVisible(not info.recovery)
        self.unlock.setVisible(not info.recovery)
        fit_to_screen(self, 520, self.sizeHint().height())

    def reset(self) -> None:
        self.passphrase.clear()
        if not self.countdown.active:
            self.error.setText("")
            self.passphrase.setAccessibleDescription("")
        self._update_enabled()
        self.passphrase.setFocus()

    def _update_enabled(self) -> None:
        self.unlock.setEnabled(not self._working and not self.countdown.active)
        self.passphrase.setEnabled(not self._working)

    def on_unlock_clicked(self) -> None:
        if self._working or self.countdown.active or self._info.recovery:
            return
        if not self.passphrase.text():          # an empty entry is not an attempt (nothing counted)
            self.error.setText("Enter your passphrase.")
            self.passphrase.setFocus()
            return
        self._working = True
        self.passphrase.setAccessibleDescription("")
        self.error.setText("Checking…")
        self._update_enabled()
        self._db.run(jobs.reauthenticate(self.passphrase.text()), self.on_reauthenticated, self.on_failed,
                     label="Checking the passphrase…", urgent=True, owner=self)
        self.passphrase.clear()

    def on_reauthenticated(self, _result: None) -> None:
        self._working = False
        self.countdown.stop()
        self.error.setText("")
        self._update_enabled()
        self.unlocked.emit()

    def on_failed(self, failure: Failure) -> None:
        self._working = False
        self.error.setText(failure.message)
        self.passphrase.setAccessibleDescription(failure.message)    # read again with the field it returns to
        if failure.kind == LOCKED_OUT:
            self.countdown.start(self._info.user or "", failure.seconds_left)
        elif self._info.user:
            user = self._info.user
            self._db.run(jobs.lockout_seconds(user), lambda left: self.countdown.start(user, left), urgent=True,
                         owner=self)
        self._update_enabled()
        self.passphrase.setFocus()
