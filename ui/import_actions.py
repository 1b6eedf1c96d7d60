"""Imports: choose a file, import it in the DB worker (progress and Cancel when it is slow), report what landed.

A bad file gets the service's one message (file, line or JSON path, problem) and the store is left exactly as
it was: each import is one transaction in the service. File › Import records / request / agency register use
this, and so does the court-order dialog.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from workstation.model import ImportSummary

from . import jobs
from .database import DbClient
from .failures import Failure, show_failure
from .file_dialogs import choose_file_to_read


@dataclass(frozen=True, slots=True)
class ImportKind:
    key: str               # the job's kind (jobs.import_file)
    menu_text: str
    shortcut: str
    permission: str        # the service's action name (workstation.service.roles)
    title: str
    what: str
    name_filter: str
    cancellable: bool


RECORDS = ImportKind("records", "Import &records…", "Ctrl+Shift+T", "import-records", "Import taxpayer records",
                     "taxpayer records", "Taxpayer records (*.csv)", True)
REQUEST = ImportKind("request", "&Import request…", "Ctrl+I", "import-request", "Import a request package",
                     "a request package", "Request packages (*.json)", True)
AGENCY = ImportKind("agency", "Import &agency register…", "Ctrl+Shift+G", "import-agency",
                    "Import an agency register entry", "an agency register entry", "Agency register entries (*.json)",
                    False)
ORDER = ImportKind("order", "&Import order…", "", "import-order", "Import a court order", "a court order",
                   "Court orders (*.json)", False)
FILE_MENU_KINDS: tuple[ImportKind, ...] = (RECORDS, REQUEST, AGENCY)


def describe(summary: ImportSummary) -> str:
    """One line for the status bar: what landed (ids and counts only, never a taxpayer value)."""
    if summary.kind == "records":
        return (f"Imported {summary.rows:,} taxpayer record rows from {summary.source}: {summary.inserted:,} new, "
                f"{summary.replaced:,} replaced (corrections).")
    if summary.kind == "request":
        return (f"Imported request {summary.ident} with {summary.rows:,} subject"
                f"{'' if summary.rows == 1 else 's'} from {summary.source}.")
    what = {"agency": "Agency register entry", "order": "Court order"}.get(summary.kind, summary.kind)
    how = "updated" if summary.replaced else "added"
    return f"{what} {summary.ident} {how} from {summary.source}."


class ImportActions(QObject):
    """Runs imports for one window (`parent`), which shows their failures."""

    import_finished = Signal(object)          # ImportSummary

    def __init__(self, db: DbClient, parent: QWidget) -> None:
        super().__init__(parent)
        self._db = db
        self._window = parent

    def choose(self, kind: ImportKind) -> None:
        choose_file_to_read(self._window, kind.title, kind.name_filter, lambda path: self.import_file(kind, path))

    def import_file(self, kind: ImportKind, path: Path) -> int:
        """Start the import; returns the job id (0 when nothing was started)."""
        return self._db.run(jobs.import_file(kind.key, path), self.on_import_finished,
                            lambda failure: self.on_import_failed(kind, failure),
                            label=f"Importing {kind.what} from {path.name}…", cancellable=kind.cancellable,
                            owner=self)

    def on_import_finished(self, summary: ImportSummary) -> None:
        self.import_finished.emit(summary)

    def on_import_failed(self, kind: ImportKind, failure: Failure) -> None:
        show_failure(self._window, failure, kind.title)
