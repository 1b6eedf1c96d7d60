"""The review queue panel: filters (status, authority, agency, overdue), search, and the table."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workstation.model import QueueRow

from .a11y import announce
from .database import DbClient
from .labels import InfoLabel
from .queue_model import ALL, QueueFilter, QueueModel
from .rows_model import ROW_ROLE


def _combo(name: str) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(name)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return combo


class QueuePanel(QWidget):
    request_activated = Signal(str)
    queue_loaded = Signal(int)

    def __init__(self, db: DbClient, parent: QWidget | None = None, *, claims: bool = False) -> None:
        super().__init__(parent)
        self._db = db
        self.model = QueueModel(parent=self, claims=claims)     # claims: an office's queue
        self.proxy = QueueFilter(self)
        self.proxy.setSourceModel(self.model)
        self.status = _combo("Filter by status")
        self.authority = _combo("Filter by authority")
        self.agency = _combo("Filter by agency")
        self.overdue = QCheckBox("Overdue o&nly")
        self.overdue.setAccessibleDescription("Show overdue requests only")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search request id or agency (Ctrl+F)")
        self.search.setAccessibleName("Search the queue")
        self.search.setClearButtonEnabled(True)
        self.view = QTableView()
        self.view.setTabKeyNavigation(False)      # Tab leaves the table; the arrow keys move in it
        self.view.setAccessibleName("Review queue")
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(4, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.activated.connect(self.on_row_activated)
        self.count = InfoLabel("Requests shown")
        filters = QHBoxLayout()
        for text, widget in (("&Status:", self.status), ("Authorit&y:", self.authority), ("A&gency:", self.agency)):
            label = QLabel(text)
            label.setBuddy(widget)
            filters.addWidget(label)
            filters.addWidget(widget)
        filters.addWidget(self.overdue)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(filters)
        layout.addWidget(self.view)
        for combo in (self.status, self.authority, self.agency):
            combo.currentIndexChanged.connect(self.on_filter_changed)
        self.overdue.toggled.connect(self.on_filter_changed)
        self.search.textChanged.connect(self.on_filter_changed)

    def reload(self) -> None:
        self._db.call(lambda s: tuple(s.queue()), self.on_queue_loaded)

    def on_queue_loaded(self, rows: tuple[QueueRow, ...]) -> None:
        current = self.current_request_id()
        self.model.set_rows(rows)
        self._fill(self.status, sorted({r.status for r in rows}), "All statuses")
        self._fill(self.authority, sorted({r.authority for r in rows}), "All authorities")
        self._fill(self.agency, sorted({r.agency_code or r.agency for r in rows}), "All agencies")
        self.on_filter_changed()
        if current:
            self.select(current)
        self.queue_loaded.emit(len(rows))

    @staticmethod
    def _fill(combo: QComboBox, values: list[str], everything: str) -> None:
        keep = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(everything, ALL)
        for value in values:
            combo.addItem(value, value)
        found = combo.findData(keep)
        combo.setCurrentIndex(max(found, 0))
        combo.blockSignals(False)

    def on_filter_changed(self) -> None:
        self.proxy.set_criteria(status=self.status.currentData() or ALL, authority=self.authority.currentData() or ALL,
                                agency=self.agency.currentData() or ALL, overdue_only=self.overdue.isChecked(),
                                text=self.search.text())
        self.count.setText(f"{self.proxy.rowCount():,} of {self.model.rowCount():,}")
        self.view.resizeColumnsToContents()

    def on_row_activated(self, index: QModelIndex) -> None:
        row: QueueRow | None = index.siblingAtColumn(0).data(ROW_ROLE)
        if row is not None:
            self.request_activated.emit(row.request_id)

    def current_request_id(self) -> str | None:
        index = self.view.currentIndex()
        row: QueueRow | None = index.siblingAtColumn(0).data(ROW_ROLE) if index.isValid() else None
        return row.request_id if row else None

    def select(self, request_id: str) -> bool:
        for r in range(self.proxy.rowCount()):
            index = self.proxy.index(r, 0)
            if index.data(ROW_ROLE).request_id == request_id:
                self.view.setCurrentIndex(index)
                self.view.scrollTo(index)
                return True
        return False

    def row(self, request_id: str) -> QueueRow | None:
        return next((r for r in self.model.rows() if r.request_id == request_id), None)

    def sort_by_current_column(self) -> None:
        """Sort by the column of the current cell (ascending; again: descending), as clicking its header does —
        from the keyboard — and say so."""
        column = max(self.view.currentIndex().column(), 0)
        header = self.view.horizontalHeader()
        ascending = not (header.sortIndicatorSection() == column
                         and header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder)
        self.view.sortByColumn(column, Qt.SortOrder.AscendingOrder if ascending else Qt.SortOrder.DescendingOrder)
        name = self.proxy.headerData(column, Qt.Orientation.Horizontal)
        announce(self.view, f"Queue sorted by {name}, {'ascending' if ascending else 'descending'}.")

    def open_current(self) -> None:
        request_id = self.current_request_id()
        if request_id:
            self.request_activated.emit(request_id)


def over_each_other(queue: QWidget, request: QWidget) -> QSplitter:
    """The main window's body, the local store's and the office's: the queue above the open request, the request
    given three times the queue's share of any new height."""
    split = QSplitter(Qt.Orientation.Vertical)
    split.addWidget(queue)
    split.addWidget(request)
    split.setStretchFactor(0, 1)
    split.setStretchFactor(1, 3)
    split.setSizes([220, 640])
    split.setContentsMargins(6, 4, 6, 0)
    return split
