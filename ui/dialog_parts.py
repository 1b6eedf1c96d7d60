"""Small parts the dialogs and tabs share: a read-only table, a passphrase field, the passphrase asked again
before signing, a label with a mnemonic for its field, a status line, a button, the Close row with the
dialog's actions."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QWidget,
)

from .labels import InfoLabel


def table_view(model: QAbstractItemModel, name: str) -> QTableView:
    view = QTableView()
    view.setAccessibleName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setTabKeyNavigation(False)           # Tab leaves the table for the next control
    view.verticalHeader().hide()
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    return view


def passphrase_field(name: str) -> QLineEdit:
    """Echo off, no copying out, no input-method prediction; the text is never logged."""
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setInputMethodHints(Qt.InputMethodHint.ImhHiddenText | Qt.InputMethodHint.ImhSensitiveData
                              | Qt.InputMethodHint.ImhNoPredictiveText)
    field.setAccessibleName(name)
    return field


def ask_passphrase(parent: QWidget, what: str, on_card: bool = False) -> str | None:
    """Ask the signed-in user's passphrase again right before signing (Electrum's @protected) — or, for a
    user whose key is on a smart card (`on_card`), the card's PIN: a modal dialog, echo off. None when
    cancelled or left empty."""
    if on_card:
        title, prompt = f"{what} — card PIN", f"{what}: insert your card and enter its PIN."
    else:
        title, prompt = what, f"{what}: enter your passphrase again."
    text, ok = QInputDialog.getText(parent, title, prompt, QLineEdit.EchoMode.Password)
    return text if ok and text else None


def buddy(text: str, widget: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(widget)
    return label


def status_line(name: str) -> InfoLabel:
    """A line saying what happened (read by a screen reader as "<name>: <text>", announced when it changes)."""
    return InfoLabel(name, announce=True)


def button(text: str, what: str, slot: Callable[[], object]) -> QPushButton:
    """A push button with its mnemonic in `text` (also its accessible name: what a voice user says is what is
    shown), what it does in its accessible description and tooltip, and what a click does."""
    widget = QPushButton(text)
    widget.setAccessibleDescription(what)
    widget.setToolTip(what)
    widget.clicked.connect(slot)
    return widget


def close_row(dialog: QDialog, *actions: QPushButton) -> QDialogButtonBox:
    """Close (Esc) and the dialog's action buttons, in the platform's order."""
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    for action in actions:
        box.addButton(action, QDialogButtonBox.ButtonRole.ActionRole)
    box.rejected.connect(dialog.close)
    return box
