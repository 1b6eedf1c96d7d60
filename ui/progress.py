"""Progress only when it is slow (Anki `progress.py`): a busy cursor after ~300 ms, a progress dialog with
Cancel after ~600 ms. Quick work shows nothing at all."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel, QProgressDialog

CURSOR_AFTER_MS = 300
DIALOG_AFTER_MS = 600


class ProgressGate(QObject):
    """Watches one labelled job from submission to its end."""

    def __init__(self, label: str, cancel: Callable[[], None] | None, parent: QObject) -> None:
        super().__init__(parent)
        self._label = label
        self._cancel = cancel
        self._cursor = False
        self._dialog: QProgressDialog | None = None
        self._done = 0
        self._total: int | None = None
        self._cursor_timer = self._single_shot(CURSOR_AFTER_MS, self.on_cursor_due)
        self._dialog_timer = self._single_shot(DIALOG_AFTER_MS, self.on_dialog_due)

    def _single_shot(self, ms: int, slot: Callable[[], None]) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.timeout.connect(slot)
        timer.start(ms)
        return timer

    @property
    def dialog(self) -> QProgressDialog | None:
        return self._dialog

    def on_cursor_due(self) -> None:
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        self._cursor = True

    def on_dialog_due(self) -> None:
        if getattr(self.parent(), "held", False):      # the screen is locked: no window may appear
            self._dialog_timer.start(DIALOG_AFTER_MS)
            return
        parent = QApplication.activeWindow()
        dialog = QProgressDialog(parent)
        label = QLabel(self._label)
        label.setTextFormat(Qt.TextFormat.PlainText)
        dialog.setLabel(label)
        dialog.setWindowTitle("Please wait")
        dialog.setAccessibleName("Progress")
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        if self._cancel is None:
            dialog.setCancelButton(None)
        else:
            dialog.setCancelButtonText("&Cancel")
            dialog.canceled.connect(self.on_cancel_clicked)
        self._dialog = dialog
        self._show_progress()
        dialog.show()

    def on_cancel_clicked(self) -> None:
        if self._cancel is not None:
            self._cancel()
        if self._dialog is not None:
            self._dialog.setLabelText("Cancelling…")

    def on_progressed(self, done: int, total: int | None) -> None:
        self._done, self._total = done, total
        self._show_progress()

    def _show_progress(self) -> None:
        if self._dialog is None:
            return
        if self._total:
            self._dialog.setRange(0, self._total)
            self._dialog.setValue(min(self._done, self._total))
        else:
            self._dialog.setRange(0, 0)

    def finish(self) -> None:
        self._cursor_timer.stop()
        self._dialog_timer.stop()
        if self._cursor:
            QGuiApplication.restoreOverrideCursor()
            self._cursor = False
        if self._dialog is not None:
            if self._cancel is not None:
                self._dialog.canceled.disconnect(self.on_cancel_clicked)
            self._dialog.close()
            self._dialog.deleteLater()
            self._dialog = None
        self.deleteLater()
