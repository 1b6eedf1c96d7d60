"""The unredacted values of one subject, shown after the reason was logged. Hidden on lock with every other
window; the values live only in this dialog's model and go when it closes."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QPushButton, QVBoxLayout, QWidget

from .a11y import fit_to_screen
from .clipboard import ClipboardGuard, GuardedTableView
from .labels import plain_label
from .rows_model import Column, RowsModel


class OriginalDialog(QDialog):
    def __init__(self, request_id: str, ref: str, values: tuple[tuple[str, str], ...], clipboard: ClipboardGuard,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Original values — {request_id}, subject {ref}")
        self.setAccessibleName("Original values")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._clipboard = clipboard
        notice = plain_label("Unredacted Federal Tax Information. This view was recorded in the audit log with your "
                             "name and reason. Do not copy it into other documents.")
        self.values = RowsModel[tuple[str, str]]((Column("Element", lambda v: v[0]),
                                                  Column("Value on file", lambda v: v[1], tooltip=True)),
                                                 values, self)
        self.table = GuardedTableView()
        self.table.setTabKeyNavigation(False)      # Tab leaves the table; the arrow keys move in it
        self.table.setAccessibleName("Original values")
        self.table.setModel(self.values)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.copy_requested.connect(self.on_copy_clicked)
        copy = QPushButton("&Copy value")
        copy.setAccessibleDescription("Copy the selected value (cleared when the screen locks)")
        copy.clicked.connect(self.on_copy_clicked)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(notice)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        fit_to_screen(self, 720, 320)

    def on_copy_clicked(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            self._clipboard.copy_sensitive(self.values.row_at(index.row())[1])
