"""A read-only table model over a short tuple of frozen value objects (findings, counts, overrides, the
queue). For the million-row subject list see `subjects_model.py`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from .labels import safe_tooltip

T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole             # the value object itself
SORT_ROLE = Qt.ItemDataRole.UserRole + 1        # a sortable key (numbers stay numbers)
FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren


@dataclass(frozen=True)
class Column(Generic[T]):
    title: str
    text: Callable[[T], str]
    sort: Callable[[T], Any] | None = None
    tooltip: bool = False                 # long text: also shown (escaped) as a tooltip
    spoken: Callable[[T], str] | None = None    # what a screen reader reads when the text is empty or terse
    description: str = ""                 # the header's tooltip and accessible description


Style = Callable[[T, int, int], Any]   # (row, column, role) -> value or None


class RowsModel(QAbstractTableModel, Generic[T]):
    def __init__(self, columns: Sequence[Column[T]], rows: Sequence[T] = (), parent: QObject | None = None,
                 style: Style[T] | None = None) -> None:
        super().__init__(parent)
        self._columns = tuple(columns)
        self._rows: tuple[T, ...] = tuple(rows)
        self._style = style

    def set_rows(self, rows: Sequence[T]) -> None:
        self.beginResetModel()
        self._rows = tuple(rows)
        self.endResetModel()

    def rows(self) -> tuple[T, ...]:
        return self._rows

    def row_at(self, row: int) -> T:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        column = self._columns[section]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return column.title
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleDescriptionRole) and column.description:
            return column.description
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        row, column = self._rows[index.row()], self._columns[index.column()]
        if role == Qt.ItemDataRole.AccessibleTextRole and column.spoken is not None:
            return column.spoken(row)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return column.text(row)
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip:
            return safe_tooltip(column.text(row))
        if role == ROW_ROLE:
            return row
        if role == SORT_ROLE:
            return column.sort(row) if column.sort else column.text(row)
        if self._style is not None:
            return self._style(row, index.column(), role)
        return None
