"""The system-use warning banner (AC-8), then user and passphrase."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)

from workstation.errors import DwsError
from workstation.service import Session, Workstation

BANNER = (
    "WARNING: This is a U.S. Government computer system. Use of this system is monitored and recorded, "
    "and constitutes consent to monitoring. It holds Federal Tax Information. Unauthorized access, use, "
    "inspection or disclosure of Federal Tax Information is punishable under 26 U.S.C. §§ 7213, 7213A "
    "and 7431 by fines, imprisonment and civil damages."
)


class UnlockDialog(QDialog):
    def __init__(self, workstation: Workstation) -> None:
        super().__init__()
        self.setWindowTitle("Disclosure Workstation — Unlock")
        self._workstation = workstation
        self.session: Session | None = None
        banner = QLabel(BANNER)
        banner.setTextFormat(Qt.TextFormat.PlainText)
        banner.setWordWrap(True)
        self._ack = QCheckBox("I have read and accept the notice above")
        self._user = QLineEdit()
        self._user.setAccessibleName("User name")
        self._passphrase = QLineEdit()
        self._passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self._passphrase.setAccessibleName("Passphrase")
        self._error = QLabel()
        self._error.setTextFormat(Qt.TextFormat.PlainText)
        self._error.setWordWrap(True)
        form = QFormLayout()
        form.addRow("&User:", self._user)
        form.addRow("&Passphrase:", self._passphrase)
        self._buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                         | QDialogButtonBox.StandardButton.Cancel)
        unlock = self._buttons.button(QDialogButtonBox.StandardButton.Ok)
        unlock.setText("&Unlock")
        unlock.setDefault(True)
        self._buttons.accepted.connect(self.on_unlock_requested)
        self._buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(banner)
        layout.addWidget(self._ack)
        layout.addLayout(form)
        layout.addWidget(self._error)
        layout.addWidget(self._buttons)
        self._ack.toggled.connect(self.on_ack_toggled)
        self.on_ack_toggled(False)

    def on_ack_toggled(self, checked: bool) -> None:
        self._user.setEnabled(checked)
        self._passphrase.setEnabled(checked)
        self._buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(checked)

    def on_unlock_requested(self) -> None:
        try:
            self.session = self._workstation.unlock(self._user.text().strip(), self._passphrase.text())
        except DwsError as exc:
            self._error.setText(str(exc))
            self._passphrase.clear()
            return
        self._passphrase.clear()
        self.accept()
