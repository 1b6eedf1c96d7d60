"""A request's subjects: a status filter and the lazy table (used by the Subjects tab and the Checks tab)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workstation import wording

from .database import DbClient
from .labels import InfoLabel
from .subjects_model import STATUS_TEXT, SubjectsModel

ROW_HEIGHT_EM = 1.6


class SubjectsPanel(QWidget):
    subject_selected = Signal(int, str)      # seq, ref
    model_replaced = Signal()

    def __init__(self, db: DbClient, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self._request_id: str | None = None
        self._total = 0
        self._announced: int | None = None
        self._keep_row = 0
        self.model: SubjectsModel | None = None
        self.filter = QComboBox()
        self.filter.setAccessibleName(f"{name}: show subjects by status")
        self.filter.addItem("All subjects", None)
        for status, text in STATUS_TEXT.items():
            self.filter.addItem(text, status)
        self.filter.currentIndexChanged.connect(self.on_filter_changed)
        self.count = InfoLabel(f"{name} shown")
        self.view = QTableView()
        self.view.setTabKeyNavigation(False)      # Tab leaves the table; the arrow keys move in it
        self.view.setAccessibleName(name)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setWordWrap(False)
        self.view.setAlternatingRowColors(True)
        vertical = self.view.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(int(self.fontMetrics().height() * ROW_HEIGHT_EM))
        horizontal = self.view.horizontalHeader()
        horizontal.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        horizontal.setStretchLastSection(True)
        label = QLabel("Sho&w:")
        label.setBuddy(self.filter)
        top = QHBoxLayout()
        top.addWidget(label)
        top.addWidget(self.filter)
        top.addStretch(1)
        top.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.view)

    def show_request(self, request_id: str, total: int) -> None:
        """A new request (or a new evaluation of it, keeping the current row): all subjects, `total` of them
        (known without a query), or those of the chosen status."""
        same = request_id == self._request_id and self.view.currentIndex().isValid()
        self._keep_row = self.view.currentIndex().row() if same else 0
        self._request_id, self._total = request_id, total
        status = self.filter.currentData()
        if status is None:
            self._set_model(SubjectsModel(self._db, request_id, total, None, self))
        else:
            self.on_filter_changed()

    def on_filter_changed(self) -> None:
        if self._request_id is None:
            return
        status, rid = self.filter.currentData(), self._request_id
        if status is None:
            self._set_model(SubjectsModel(self._db, rid, self._total, None, self))
            return
        self._db.call(lambda s: s.subject_count(rid, status), lambda n: self.on_count_loaded(rid, status, n))

    def on_count_loaded(self, request_id: str, status: str, count: int) -> None:
        if request_id == self._request_id and status == self.filter.currentData():
            self._set_model(SubjectsModel(self._db, request_id, count, status, self))

    def _set_model(self, model: SubjectsModel) -> None:
        old = self.model
        self.model = model
        self._announced = None
        self.view.setModel(model)
        self.view.selectionModel().currentRowChanged.connect(self.on_current_row_changed)
        model.page_loaded.connect(self.on_page_loaded)
        if old is not None:
            old.deleteLater()
        self.count.setText(wording.count(model.rowCount(), "subject"))
        self.view.setColumnWidth(0, self.fontMetrics().horizontalAdvance("0,000,000 "))
        self.view.setColumnWidth(1, self.fontMetrics().horizontalAdvance("W" * 12))
        self.view.setColumnWidth(2, self.fontMetrics().horizontalAdvance("Needs review  "))
        self.view.setColumnWidth(3, self.fontMetrics().horizontalAdvance("W" * 22))
        self.view.setColumnWidth(4, self.fontMetrics().horizontalAdvance("W" * 10))
        self.model_replaced.emit()
        if model.rowCount():
            row = min(self._keep_row, model.rowCount() - 1)
            self._keep_row = 0
            model.prefetch(row)
            self.view.setCurrentIndex(model.index(row, 0))
            self.view.scrollTo(model.index(row, 0))

    def on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._announce(current.row())

    def on_page_loaded(self, _page: int) -> None:
        index = self.view.currentIndex()
        if index.isValid() and self._announced != index.row():
            self._announce(index.row())

    def _announce(self, row: int) -> None:
        subject = self.model.subject_at(row) if self.model is not None and row >= 0 else None
        if subject is not None:
            self._announced = row
            self.subject_selected.emit(subject.seq, subject.ref)

    def clear(self) -> None:
        self._request_id = None
        if self.model is not None:
            self.view.setModel(None)
            self.model.deleteLater()
            self.model = None
        self.count.setText("")
