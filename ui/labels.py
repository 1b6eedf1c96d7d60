"""Plain-text labels (SecureDrop's SecureQLabel): text that came from a file, a request package or the store
is never interpreted as rich text, and tooltips (which Qt would sniff for HTML) are escaped."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget


def plain_label(text: str = "", parent: QWidget | None = None, *, selectable: bool = False) -> QLabel:
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setText(text)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                      | Qt.TextInteractionFlag.TextSelectableByKeyboard)
    return label


def safe_tooltip(text: str) -> str:
    """A tooltip showing `text` literally (escaped, wrapped so Qt treats it as rich text it may not re-read)."""
    return "<p>" + html.escape(text) + "</p>"
