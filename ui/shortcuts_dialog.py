"""Help › Keyboard shortcuts: every menu action and its shortcut, read from the menus themselves."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QMenuBar, QTableView, QVBoxLayout, QWidget

from .rows_model import Column, RowsModel


def shortcut_rows(bar: QMenuBar) -> list[tuple[str, str, str]]:
    rows = []
    for menu_action in bar.actions():
        menu = menu_action.menu()
        if menu is None:
            continue
        for action in menu.actions():
            if action.isSeparator() or not action.text():
                continue
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            rows.append((menu_action.text().replace("&", ""), action.text().replace("&", ""), keys))
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, bar: QMenuBar, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        model = RowsModel[tuple[str, str, str]]((Column("Menu", lambda r: r[0]), Column("Action", lambda r: r[1]),
                                                 Column("Shortcut", lambda r: r[2])), shortcut_rows(bar), self)
        view = QTableView()
        view.setAccessibleName("Keyboard shortcuts")
        view.setModel(model)
        view.verticalHeader().hide()
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        view.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(view)
        layout.addWidget(buttons)
        self.resize(560, 520)
