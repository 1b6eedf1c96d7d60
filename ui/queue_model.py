"""The review queue as a table: plain QueueRow values, never database rows; a proxy filters and searches it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QFont

from workstation import clock as clocks
from workstation.model import QueueRow
from workstation.service.deadlines import is_overdue  # one rule with `dws list`

from .rows_model import ROW_ROLE, SORT_ROLE, Column, RowsModel

ALL = ""


CLAIMED_BY = Column[QueueRow](
    "Claimed by", lambda r: r.claimed_by or "", spoken=lambda r: r.claimed_by or "not claimed",
    description="The preparer whose evaluation claimed the request (an office's queue; dws list: CLAIMED BY)")


def queue_columns(today: Callable[[], date], claims: bool = False) -> tuple[Column[QueueRow], ...]:
    """The queue's columns; `claims`: an office's, with who claimed each request last."""
    return (
        Column("Request", lambda r: r.request_id),
        Column("Agency", lambda r: r.agency_code or r.agency, tooltip=True),
        Column("Authority", lambda r: r.authority),
        Column("Received", lambda r: r.received_on),
        Column("Due", lambda r: r.due_on or ""),
        Column("Overdue", lambda r: "Overdue" if is_overdue(r, today()) else ""),
        Column("Subjects", lambda r: f"{r.subjects:,}", sort=lambda r: r.subjects),
        Column("Recommendation", lambda r: r.recommendation or "not evaluated"),
        Column("Status", lambda r: r.status),
        *((CLAIMED_BY,) if claims else ()),
    )


class QueueModel(RowsModel[QueueRow]):
    """The review queue (`claims`: an office's, with its Claimed by column). "Overdue" is judged against the
    clock's today each time it is shown, so a window left open past midnight shows tomorrow's overdue requests;
    ``today`` fixes the day instead."""

    def __init__(self, rows: list[QueueRow] | tuple[QueueRow, ...] = (), today: date | None = None,
                 parent: QObject | None = None, *, claims: bool = False) -> None:
        self._fixed_day = today
        super().__init__(queue_columns(lambda: self.today, claims), rows, parent, style=self._emphasis)

    @property
    def today(self) -> date:
        return self._fixed_day or clocks.today()

    def _emphasis(self, row: QueueRow, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.FontRole and column == 5 and is_overdue(row, self.today):
            font = QFont()
            font.setBold(True)
            return font
        return None


class QueueFilter(QSortFilterProxyModel):
    """Status, authority and agency (exact), overdue only, and free-text search over id and agency."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.status = self.authority = self.agency = ALL
        self.overdue_only = False
        self.text = ""
        self.setSortRole(SORT_ROLE)
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def set_criteria(self, *, status: str = ALL, authority: str = ALL, agency: str = ALL, overdue_only: bool = False,
                     text: str = "") -> None:
        self.beginFilterChange()
        self.status, self.authority, self.agency = status, authority, agency
        self.overdue_only, self.text = overdue_only, text.strip().casefold()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        model = self.sourceModel()
        assert isinstance(model, QueueModel)
        row: QueueRow = model.index(source_row, 0, source_parent).data(ROW_ROLE)
        if (self.status and row.status != self.status) or (self.authority and row.authority != self.authority):
            return False
        if self.agency and (row.agency_code or row.agency) != self.agency:
            return False
        if self.overdue_only and not is_overdue(row, model.today):
            return False
        if self.text:
            haystack = " ".join((row.request_id, row.agency, row.agency_code or "", row.authority)).casefold()
            return self.text in haystack
        return True
