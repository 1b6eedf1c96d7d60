"""The status bar: who is signed in (user and role), the idle-lock timer, and the audit log's state."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from .lockout import minutes_seconds
from .values import LogStatus, SessionInfo


class StatusBar(QStatusBar):
    def __init__(self, info: SessionInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.user = QLabel(f"User: {info.label}")
        self.user.setAccessibleName("Signed-in user and role")
        self.lock_timer = QLabel("")
        self.lock_timer.setAccessibleName("Time until the screen locks")
        self.log = QLabel("Log: checking…")
        self.log.setAccessibleName("Audit log status")
        self.addPermanentWidget(self.user)
        self.addPermanentWidget(self.lock_timer)
        self.addPermanentWidget(self.log)

    def on_lock_remaining_changed(self, seconds: int) -> None:
        self.lock_timer.setText(f"Locks in {minutes_seconds(seconds)} (Ctrl+L locks now)")

    def on_log_status_loaded(self, status: LogStatus) -> None:
        self.log.setText(status.label)
