"""The clipboard and taxpayer data: whatever the app copies goes through here, so that locking the screen
can clear it (DESIGN.md "Users, roles, locking")."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QTableView


class ClipboardGuard(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._copied: str | None = None

    def copy_sensitive(self, text: str) -> None:
        """Put taxpayer data on the clipboard, remembering that it is there."""
        QGuiApplication.clipboard().setText(text)
        self._copied = text

    @property
    def holds_sensitive(self) -> bool:
        return self._copied is not None and QGuiApplication.clipboard().text() == self._copied

    def clear_sensitive(self) -> bool:
        """Clear the clipboard if it still holds what the app put there. True when it was cleared."""
        cleared = self.holds_sensitive
        if cleared:
            QGuiApplication.clipboard().clear()
        self._copied = None
        return cleared


class GuardedTableView(QTableView):
    """A table of taxpayer data: Ctrl+C goes through the ClipboardGuard (Qt's own copy would bypass it)."""

    copy_requested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)
