"""The letter as the Letter tab shows it: its pages (QtPdf) and, beside them, its text as the service reads it
from the stored PDF (`Session.letter_text`), for a screen reader, a magnifier or a reader of plain text.

The text holds taxpayer data: copying it goes through the ClipboardGuard (cleared when the screen locks), and
nothing reaches the X11 selection or a drag (`createMimeDataFromSelection` gives nothing away)."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QResizeEvent
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from .clipboard import ClipboardGuard


class LetterView(QPdfView):
    """The pages one under the other, at their actual size, or narrower when the view is narrower."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPageMode(QPdfView.PageMode.MultiPage)
        self.setAccessibleName("Letter pages (the letter's text is beside them)")

    def fit(self) -> None:
        document = self.document()
        if document is None or document.pageCount() == 0:
            return
        margins = self.documentMargins()
        actual = document.pagePointSize(0).width() * self.logicalDpiX() / 72 + margins.left() + margins.right()
        if self.viewport().width() < actual:
            self.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        else:
            self.setZoomMode(QPdfView.ZoomMode.Custom)
            self.setZoomFactor(1.0)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit()


class LetterText(QPlainTextEdit):
    """Read-only, read with the keyboard (arrows, Shift+arrows, Ctrl+Home…); Tab leaves it."""

    def __init__(self, clipboard: ClipboardGuard | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._clipboard = clipboard
        self.setReadOnly(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.setTabChangesFocus(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setAccessibleName("Letter text")
        self.setPlaceholderText("The letter's text appears here once a letter is shown.")

    def createMimeDataFromSelection(self) -> QMimeData:
        return QMimeData()              # no copy, selection or drag past the guard

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            selected = self.textCursor().selectedText().replace("\u2029", "\n")
            if selected and self._clipboard is not None:
                self._clipboard.copy_sensitive(selected)
            event.accept()
            return
        super().keyPressEvent(event)
