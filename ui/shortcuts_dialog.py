"""Help › Keyboard shortcuts: every menu action and its shortcut, read from the menus themselves, with the
reason an action is not available to this user (the status tip of an action their role may not use)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QMenuBar, QTableView, QVBoxLayout, QWidget

from .a11y import fit_to_screen
from .rows_model import Column, RowsModel

Row = tuple[str, str, str, str]            # menu, action, shortcut, why it is not available ("" when it is)


def shortcut_rows(bar: QMenuBar) -> list[Row]:
    rows = []
    for menu_action in bar.actions():
        menu = menu_action.menu()
        if menu is None:
            continue
        for action in menu.actions():
            if action.isSeparator() or not action.text():
                continue
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            note = "" if action.isEnabled() else action.statusTip()
            rows.append((menu_action.text().replace("&", ""), action.text().replace("&", ""), keys, note))
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, bar: QMenuBar, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        model = RowsModel[Row]((Column("Menu", lambda r: r[0]), Column("Action", lambda r: r[1]),
                                Column("Shortcut", lambda r: r[2]), Column("Note", lambda r: r[3], tooltip=True)),
                               shortcut_rows(bar), self)
        view = QTableView()
        view.setTabKeyNavigation(False)      # Tab leaves the table; the arrow keys move in it
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
        fit_to_screen(self, 760, 560)
