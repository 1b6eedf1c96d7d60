"""Plain-text labels (SecureDrop's SecureQLabel): text that came from a file, a request package or the store
is never interpreted as rich text, and tooltips (which Qt would sniff for HTML) are escaped.

`InfoLabel` is a label that carries information (a value, a state, an error): a screen reader reads what it
shows — its accessible name is its text, after what it is ("Recommendation: grant") — and, when asked, each new
text is announced as it appears (errors, the outcome of an action) while the label is on screen."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from .a11y import announce


def plain_label(text: str = "", parent: QWidget | None = None, *, selectable: bool = False) -> QLabel:
    label = QLabel(parent)
    _plain(label, text, selectable)
    return label


def _plain(label: QLabel, text: str, selectable: bool) -> None:
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setText(text)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                      | Qt.TextInteractionFlag.TextSelectableByKeyboard)


def safe_tooltip(text: str) -> str:
    """A tooltip showing `text` literally (escaped, wrapped so Qt treats it as rich text it may not re-read)."""
    return "<p>" + html.escape(text) + "</p>"


class InfoLabel(QLabel):
    """Plain text whose accessible name is "<what>: <text>" (or the text alone when `what` is empty)."""

    def __init__(self, what: str = "", text: str = "", parent: QWidget | None = None, *, selectable: bool = False,
                 announce: bool = False, assertive: bool = False) -> None:
        super().__init__(parent)
        self.what = what
        self._announce, self._assertive = announce, assertive
        _plain(self, "", selectable)
        if selectable:                 # Tab reaches it (Qt gives a selectable label click focus only): a screen
            self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)    # reader reads it on the way, with what it is
        self.set_quietly(text)

    def spoken(self) -> str:
        text = " ".join(self.text().split())
        return f"{self.what}: {text}" if self.what and text else self.what or text

    def set_quietly(self, text: str) -> None:
        """Show `text` (the accessible name follows) without announcing it: a countdown's every tick."""
        super().setText(text)
        self.setAccessibleName(self.spoken() if self.what else "")

    def setText(self, text: str) -> None:  # type: ignore[override]
        changed = text != self.text()
        self.set_quietly(text)
        if self._announce and changed and text and self.isVisible():     # a hidden tab's label stays quiet
            announce(self, self.spoken(), assertive=self._assertive)
