"""Choosing a file to read or to write: a window-modal QFileDialog opened with `open()` (never a nested event
loop), which calls back with the chosen path. Cancelling calls nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QWidget

Chosen = Callable[[Path], None]


def _dialog(parent: QWidget, title: str, name_filter: str, on_chosen: Chosen) -> QFileDialog:
    dialog = QFileDialog(parent, title)
    dialog.setNameFilters([name_filter, "All files (*)"])
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setAccessibleName(title)
    dialog.fileSelected.connect(lambda name: on_chosen(Path(name)) if name else None)
    return dialog


def choose_file_to_read(parent: QWidget, title: str, name_filter: str, on_chosen: Chosen) -> QFileDialog:
    dialog = _dialog(parent, title, name_filter, on_chosen)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.open()
    return dialog


def choose_file_to_write(parent: QWidget, title: str, name_filter: str, suggested: str,
                         on_chosen: Chosen) -> QFileDialog:
    """Overwriting an existing file is confirmed by the dialog itself."""
    dialog = _dialog(parent, title, name_filter, on_chosen)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    suffix = Path(suggested).suffix.lstrip(".")
    if suffix:
        dialog.setDefaultSuffix(suffix)
    dialog.selectFile(suggested)
    dialog.open()
    return dialog
