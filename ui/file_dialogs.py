"""Choosing a file (or files, or a folder) to read, or a file to write: a window-modal QFileDialog opened with
`open()` (never a nested event loop), which calls back with the chosen path(s). Cancelling calls nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QWidget

Chosen = Callable[[Path], None]


def _dialog(parent: QWidget, title: str, name_filter: str | None, on_chosen: Chosen | None) -> QFileDialog:
    dialog = QFileDialog(parent, title)
    if name_filter is not None:
        dialog.setNameFilters([name_filter, "All files (*)"])
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setAccessibleName(title)
    if on_chosen is not None:
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


def choose_files_to_read(parent: QWidget, title: str, name_filter: str,
                         on_chosen: Callable[[list[Path]], None]) -> QFileDialog:
    """One or more existing files."""
    dialog = _dialog(parent, title, name_filter, None)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
    dialog.filesSelected.connect(lambda names: on_chosen([Path(n) for n in names]) if names else None)
    dialog.open()
    return dialog


def choose_folder(parent: QWidget, title: str, on_chosen: Chosen) -> QFileDialog:
    """An existing folder."""
    dialog = _dialog(parent, title, None, on_chosen)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    dialog.open()
    return dialog
