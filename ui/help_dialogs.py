"""Help › Guide (the workflow, read offline from resources/help/guide.html) and Help › About (version, build,
store, and every shipped component with its licence, with the LGPL notice Qt and PySide6 need)."""

from __future__ import annotations

from importlib import resources

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from workstation import __version__, about

from .a11y import fit_to_screen
from .labels import plain_label
from .rows_model import Column, RowsModel


def resource_text(*parts: str) -> str:
    return resources.files("resources").joinpath(*parts).read_text(encoding="utf-8")


class GuideDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Guide — Disclosure Workstation")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.text = QTextBrowser()
        self.text.setAccessibleName("Guide")
        self.text.setOpenLinks(False)               # offline: nothing in the guide leaves the program
        self.text.setHtml(resource_text("help", "guide.html"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        fit_to_screen(self, 720, 640)


class AboutDialog(QDialog):
    def __init__(self, store: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About the Disclosure Workstation")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        form = QFormLayout()
        self.values: dict[str, QLabel] = {}
        for name, value in (("Version", __version__), ("Build", about.build()), ("Store", store),
                            ("Qt", f"{qVersion()} (PySide6 {PySide6.__version__})")):
            label = plain_label(value, selectable=True)
            self.values[name] = label
            form.addRow(f"{name}:", label)
        self.components = RowsModel[about.Component]((
            Column("Component", lambda c: c.name), Column("Version", lambda c: c.version),
            Column("Licence", lambda c: c.licence, tooltip=True)), about.components(), self)
        view = QTableView()
        view.setAccessibleName("Components shipped and their licences")
        view.setModel(self.components)
        view.verticalHeader().hide()
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        view.horizontalHeader().setStretchLastSection(True)
        view.setTabKeyNavigation(False)
        self.notice = plain_label(about.LGPL_NOTICE)
        self.notice.setWordWrap(True)
        self.licence_button = QPushButton("Show the &LGPL text")
        self.licence_button.clicked.connect(self.show_lgpl)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.licence_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(view, 1)
        layout.addWidget(self.notice)
        layout.addWidget(buttons)
        fit_to_screen(self, 760, 620)

    def show_lgpl(self) -> None:
        dialog = QDialog(self)
        dialog.setWindowTitle("GNU Lesser General Public License, version 3")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        text = QTextBrowser()
        text.setAccessibleName("Licence text")
        text.setPlainText(resource_text("licenses", "LGPL-3.0.txt"))
        layout = QVBoxLayout(dialog)
        layout.addWidget(text)
        fit_to_screen(dialog, 640, 560)
        dialog.open()
