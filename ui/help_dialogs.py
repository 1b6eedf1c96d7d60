"""Help › Guide (the workflow, read offline from resources/help/guide.html) and Help › About (version, build,
store, every shipped component with its licence, with the LGPL notice Qt and PySide6 need, and the cryptography
in force: `dws crypto report`'s primitives, modules, OpenSSL builds, providers and FIPS status)."""

from __future__ import annotations

from importlib import resources
from typing import Any

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
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from workstation import __version__, about
from workstation.crypto.report import CryptoReport, Module, Primitive

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
        view = _table(self.components, "Components shipped and their licences")
        self.crypto = CryptoSection(self)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Components and cryptography")
        self.tabs.addTab(view, "&Components and licences")
        self.tabs.addTab(self.crypto, "C&ryptography")
        self.notice = plain_label(about.LGPL_NOTICE)
        self.notice.setWordWrap(True)
        self.licence_button = QPushButton("Show the &LGPL text")
        self.licence_button.clicked.connect(self.show_lgpl)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.licence_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.notice)
        layout.addWidget(buttons)
        fit_to_screen(self, 860, 660)

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


def _table(model: RowsModel[Any], name: str) -> QTableView:
    view = QTableView()
    view.setAccessibleName(name)
    view.setModel(model)
    view.verticalHeader().hide()
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    view.setTabKeyNavigation(False)
    return view


class CryptoSection(QWidget):
    """`dws crypto report` in the About box: the mode, the self-tests, every primitive and every module with its
    OpenSSL build, providers and FIPS status. Filled by `show_report` once the worker has made the report."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = plain_label("Reading the cryptography in force…", selectable=True)
        self.primitives = RowsModel[Primitive]((
            Column("Algorithm", lambda p: p.algorithm, tooltip=True), Column("Standard", lambda p: p.standard),
            Column("Library", lambda p: p.module), Column("Approved", lambda p: "yes" if p.approved else "no"),
            Column("Purpose", lambda p: p.purpose + (f" ({p.note})" if p.note else ""), tooltip=True)), (), self)
        self.modules = RowsModel[Module]((
            Column("Module", lambda m: m.name), Column("Version", lambda m: m.version),
            Column("OpenSSL", lambda m: m.openssl or "-"), Column("Providers", lambda m: ", ".join(m.providers) or "-"),
            Column("FIPS", lambda m: m.fips), Column("Note", lambda m: m.note, tooltip=True)), (), self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(_table(self.primitives, "Cryptographic primitives and the library performing each"), 3)
        layout.addWidget(_table(self.modules, "Cryptographic modules: OpenSSL build, providers, FIPS status"), 2)

    def show_report(self, report: CryptoReport) -> None:
        tested = report.selftest
        policy = f"office policy {report.policy_file}" if report.policy_file else "no office policy file"
        lines = [f"Mode: {report.mode} ({policy}).",
                 f"Self-tests: {len(tested.passed)} known-answer tests passed in {tested.ms:.1f} ms."
                 if tested.failed is None else f"Self-tests: FAILED at {tested.failed} "
                 f"({'not available from this OpenSSL' if tested.unavailable else 'a wrong answer'}): no store opens.",
                 "Every primitive is approved." if report.all_approved() else "NOT every primitive is approved.",
                 "The same as 'dws crypto report' (README, \"Security and compliance\")."]
        self.summary.setText("\n".join(lines))
        self.primitives.set_rows(report.primitives)
        self.modules.set_rows(report.modules)

    def show_failure(self, message: str) -> None:
        self.summary.setText(f"The cryptography report could not be made: {message}")
