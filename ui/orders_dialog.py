"""Tools › Court orders (counsel): the court-order register, and importing a new or changed order.

An order comes from a `dws.court-order/1` file; a bad file gets the service's one message and the register
stays as it was. Everything shown came from a file, so it is plain text."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from workstation.model import CourtOrder, ImportSummary

from .a11y import fit_to_screen
from .database import DbClient
from .dialog_parts import button, close_row, status_line, table_view
from .import_actions import ORDER, ImportActions, describe
from .labels import plain_label
from .rows_model import Column, RowsModel


def _listed(values: tuple[str, ...]) -> str:
    return "all" if values == ("*",) else ", ".join(values)


COLUMNS: tuple[Column[CourtOrder], ...] = (
    Column("Case", lambda o: o.case_no),
    Column("Court", lambda o: o.court, tooltip=True),
    Column("Caption", lambda o: o.caption, tooltip=True),
    Column("Signed", lambda o: o.signed_on),
    Column("Effective from", lambda o: o.effective_from),
    Column("Effective to", lambda o: o.effective_to or "until further order"),
    Column("Status", lambda o: o.status),
    Column("Enjoined recipients", lambda o: _listed(o.enjoined_recipients), tooltip=True),
    Column("Enjoined purposes", lambda o: _listed(o.enjoined_purposes), tooltip=True),
    Column("Enjoined items", lambda o: _listed(o.enjoined_items), tooltip=True),
    Column("Note", lambda o: o.note or "", tooltip=True),
)


class OrdersDialog(QDialog):
    order_imported = Signal(object)          # ImportSummary

    def __init__(self, db: DbClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self.setWindowTitle("Court orders")
        self.setAccessibleName("Court orders")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._imports = ImportActions(db, self)
        self._imports.import_finished.connect(self.on_order_imported)
        intro = plain_label("Orders in force block the disclosures they enjoin when a request is checked. Importing "
                            "a file whose case number is already here replaces that order (to record a stay, a "
                            "vacatur or a new end date). Each change is written to the audit log.")
        self.orders = RowsModel[CourtOrder](COLUMNS, (), self)
        self.table = table_view(self.orders, "Court orders in the register")
        self.status = status_line("Court order status")
        self.import_button = button(ORDER.menu_text, "Import a court order file", self.on_import_clicked)
        buttons = close_row(self, self.import_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        fit_to_screen(self, 1100, 420)
        self.reload()

    def reload(self, select: str | None = None) -> None:
        self._db.call(lambda s: tuple(s.court_orders()), lambda orders: self.on_orders_loaded(orders, select),
                      owner=self)

    def on_orders_loaded(self, orders: tuple[CourtOrder, ...], select: str | None = None) -> None:
        self.orders.set_rows(orders)
        if not self.status.text():
            self.status.setText(f"{len(orders)} court order{'' if len(orders) == 1 else 's'} in the register.")
        for row, order in enumerate(orders):
            if order.case_no == select:
                self.table.selectRow(row)
                self.table.scrollTo(self.orders.index(row, 0))

    def on_import_clicked(self) -> None:
        self._imports.choose(ORDER)

    def import_file(self, path: Path) -> int:
        return self._imports.import_file(ORDER, path)

    def on_order_imported(self, summary: ImportSummary) -> None:
        self.status.setText(describe(summary))
        self.reload(select=summary.ident)
        self.order_imported.emit(summary)
