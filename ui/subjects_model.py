"""The subjects of one request, lazily: the model holds a count and a small cache of pages.

`data()` never waits for the worker. A row whose page is not cached shows "…" and asks the worker for its
page (once); when the page arrives the model caches it and emits `dataChanged` for its rows. Pages are
fetched in the order asked, but a page the user has already scrolled far away from is skipped in the
worker, so a fast drag of the scroll bar costs only the pages where it stops. A million-subject request
costs a count and a few pages (Anki's browser table does the same with ids).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from workstation.model import SubjectRow
from workstation.service import Session

from .database import DbClient
from .rows_model import FLAGS, ROW_ROLE

PAGE_SIZE = 500
CACHED_PAGES = 64            # at most 32,000 subjects in memory
RECENT_PAGES = 8             # a queued fetch for a page not among the last 8 asked is skipped
PENDING = "…"
COLUMNS = ("#", "Reference", "Status", "Failing checks", "Released", "Withheld")
STATUS_TEXT = {"releasable": "Releasable", "withheld": "Withheld", "no-record": "No record",
               "review": "Needs review"}
Index = QModelIndex | QPersistentModelIndex


def _cell(subject: SubjectRow, column: int) -> str:
    if column == 0:
        return f"{subject.seq + 1:,}"
    if column == 1:
        return subject.ref
    if column == 2:
        return STATUS_TEXT.get(subject.status, subject.status)
    if column == 3:
        return ", ".join(subject.codes)
    if column == 4:
        return ", ".join(subject.released)
    return ", ".join(f"{item} ({code})" for item, code in subject.withheld)


class SubjectsModel(QAbstractTableModel):
    page_loaded = Signal(int)

    def __init__(self, db: DbClient, request_id: str, count: int, status: str | None = None,
                 parent: QObject | None = None, page_size: int = PAGE_SIZE) -> None:
        super().__init__(parent)
        self._db = db
        self.request_id = request_id
        self.status = status
        self._count = count
        self._page_size = page_size
        self._pages: OrderedDict[int, tuple[SubjectRow, ...]] = OrderedDict()
        self._pending: set[int] = set()
        self._recent: deque[int] = deque(maxlen=RECENT_PAGES)
        self._wanted: frozenset[int] = frozenset()      # read by the worker thread (replaced, never mutated)

    # --- the model -------------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole,
                                               ROW_ROLE):
            return None
        subject = self.subject_at(index.row())
        if subject is None:
            self._want(index.row() // self._page_size)
            if role == ROW_ROLE:
                return None
            return PENDING if index.column() == 1 else ""
        return subject if role == ROW_ROLE else _cell(subject, index.column())

    # --- the cache -------------------------------------------------------------------------------------
    def subject_at(self, row: int) -> SubjectRow | None:
        """The subject at `row` if its page is cached (never asks the worker)."""
        page, offset = divmod(row, self._page_size)
        rows = self._pages.get(page)
        if rows is None or offset >= len(rows):
            return None
        self._pages.move_to_end(page)
        return rows[offset]

    def is_cached(self, row: int) -> bool:
        return row // self._page_size in self._pages

    def prefetch(self, row: int) -> None:
        """Ask for the page holding `row` (before any view paints it)."""
        self._want(row // self._page_size)

    def _want(self, page: int) -> None:
        if page in self._pending or page in self._pages or not 0 <= page * self._page_size < self._count:
            return
        self._pending.add(page)
        self._recent.append(page)
        self._wanted = frozenset(self._recent)
        rid, status, size = self.request_id, self.status, self._page_size

        def fetch(session: Session) -> tuple[SubjectRow, ...] | None:
            if page not in self._wanted:
                return None
            return tuple(session.subject_rows(rid, page * size, size, status))

        self._db.call(fetch, lambda rows: self.on_page_loaded(page, rows), lambda _f: self._pending.discard(page),
                      owner=self)

    def on_page_loaded(self, page: int, rows: tuple[SubjectRow, ...] | None) -> None:
        self._pending.discard(page)
        if rows is None:        # skipped: the user had moved on; a later data() asks again
            return
        self._pages[page] = rows
        while len(self._pages) > CACHED_PAGES:
            self._pages.popitem(last=False)
        first = page * self._page_size
        last = min(first + self._page_size, self._count) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
        self.page_loaded.emit(page)
