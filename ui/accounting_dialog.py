"""Tools › Accounting (the roles the service allows): the accounting of disclosures for a year, 26 U.S.C.
6103(p)(3). On screen only the totals per agency (no taxpayer data); the full list, which holds TINs, goes to
a CSV file the officer chooses — written privately by the service, and the export is logged."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QSpinBox, QVBoxLayout, QWidget

from workstation import clock as clocks
from workstation.results import AccountingSummary, AgencyTotal

from .a11y import fit_to_screen
from .database import DbClient
from .dialog_parts import buddy, button, close_row, status_line, table_view
from .failures import Failure, show_failure
from .file_dialogs import choose_file_to_write
from .rows_model import Column, RowsModel

FIRST_YEAR, LAST_YEAR = 1900, 9999


def _agency(total: AgencyTotal) -> str:
    if total.agency_code == "*":
        return "All recipients"
    return total.agency_code or "Recipients outside the agency register"


COLUMNS: tuple[Column[AgencyTotal], ...] = (
    Column("Recipient agency", _agency),
    Column("Requests", lambda t: f"{t.requests:,}", lambda t: t.requests),
    Column("Disclosures", lambda t: f"{t.disclosures:,}", lambda t: t.disclosures),
    Column("Taxpayers", lambda t: f"{t.taxpayers:,}", lambda t: t.taxpayers),
)


def _numbers_right(_total: AgencyTotal, column: int, role: int) -> object:
    if column > 0 and role == Qt.ItemDataRole.TextAlignmentRole:
        return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return None


def summary_text(summary: AccountingSummary) -> str:
    total = summary.total
    if not total.disclosures:
        return f"{summary.year}: no disclosures were recorded."
    agencies = sum(1 for t in summary.agencies if t.agency_code)
    return (f"{summary.year}: {total.disclosures:,} disclosure{'' if total.disclosures == 1 else 's'} about "
            f"{total.taxpayers:,} taxpayer{'' if total.taxpayers == 1 else 's'} in {total.requests:,} "
            f"request{'' if total.requests == 1 else 's'}, to {agencies} agenc{'y' if agencies == 1 else 'ies'} "
            "in the register" + (" and recipients outside it." if any(not t.agency_code for t in summary.agencies)
                                 else "."))


class AccountingDialog(QDialog):
    accounting_exported = Signal(int, str)          # year, file

    def __init__(self, db: DbClient, parent: QWidget | None = None, *, today: date | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self.setWindowTitle("Accounting of disclosures")
        self.setAccessibleName("Accounting of disclosures")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.year = QSpinBox()
        self.year.setRange(FIRST_YEAR, LAST_YEAR)
        self.year.setValue((today or clocks.today()).year)
        self.year.setAccessibleName("Year")
        self.show_button = button("S&how", "Show the totals for the year", self.reload)
        self.year.editingFinished.connect(self.reload)
        top = QHBoxLayout()
        top.addWidget(buddy("&Year:", self.year))
        top.addWidget(self.year)
        top.addWidget(self.show_button)
        top.addStretch(1)
        self.totals = RowsModel[AgencyTotal](COLUMNS, (), self, _numbers_right)
        self.table = table_view(self.totals, "Totals per recipient agency")
        self.summary = status_line("Accounting summary")
        self.status = status_line("Accounting status")
        self.export_button = button("&Export CSV…", "Export every disclosure of the year to a CSV file",
                                    self.on_export_clicked)
        buttons = close_row(self, self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table)
        layout.addWidget(self.summary)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        fit_to_screen(self, 640, 420)
        self.reload()

    def reload(self) -> None:
        year = self.year.value()
        self._db.call(lambda s: s.accounting(year), self.on_accounting_loaded,
                      lambda failure: show_failure(self, failure, "Accounting"), owner=self)

    def on_accounting_loaded(self, summary: AccountingSummary) -> None:
        if summary.year != self.year.value():
            return
        self.totals.set_rows((*summary.agencies, summary.total) if summary.total.disclosures else ())
        self.summary.setText(summary_text(summary))

    def on_export_clicked(self) -> None:
        year = self.year.value()
        choose_file_to_write(self, "Export the accounting of disclosures", "CSV files (*.csv)",
                             f"accounting-{year}.csv", lambda path: self.export_to(year, path))

    def export_to(self, year: int, path: Path) -> None:
        self.status.setText(f"Exporting {year} to {path.name}…")
        self._db.call(lambda s: s.export_accounting(year, path), lambda summary: self.on_exported(summary, path),
                      self.on_export_failed, label=f"Writing the accounting of disclosures for {year}…", owner=self)

    def on_exported(self, summary: AccountingSummary, path: Path) -> None:
        self.status.setText(f"Exported {summary.total.disclosures:,} disclosures of {summary.year} and the totals "
                            f"to {path}. The file holds taxpayer identification numbers: keep it safe.")
        self.accounting_exported.emit(summary.year, str(path))

    def on_export_failed(self, failure: Failure) -> None:
        self.status.setText("Nothing was exported.")
        show_failure(self, failure, "Accounting")
