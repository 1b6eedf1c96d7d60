"""Tools › Verify against witnesses: what `dws verify --against` does. The user adds witnesses (checkpoint
files, letter PDFs, witness folders; the configured witness folder is there already), the service checks the
chain, every signature and that the log still extends every checkpoint (in the DB worker), and the dialog
shows the answer: intact, or the first checkpoint the log no longer extends and the entries concerned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QDialog, QHBoxLayout, QListWidget, QPlainTextEdit, QVBoxLayout, QWidget

from workstation.model import WitnessOutcome
from workstation.wording import checkpoints_given, count

from .a11y import fit_to_screen
from .database import DbClient
from .dialog_parts import button, close_row, status_line
from .failures import Failure
from .file_dialogs import choose_files_to_read, choose_folder
from .labels import plain_label

INTRO = ("Checks the audit log's chain and every signature and, for each witness — a checkpoint file, a letter "
         "(PDF) the office sent, or a witness folder — that the log still holds every entry the witness saw. "
         "A log cut, rewritten or reordered before any of them is found here.")
WITNESS_FILES = "Checkpoints and letters (*.checkpoint *.txt *.pdf)"


def report_text(report: Any) -> tuple[bool, str]:
    """(intact, the text shown) for a VerifyReport."""
    lines = [f"Checked {report.entries:,} log entries, {report.decisions:,} decisions and {report.signatures:,} "
             "signatures."]
    for w in report.witnesses:
        if w.ok:
            lines.append(f"✓ {w.source}: {w.size:,} entries, signed by {w.signer}: the log extends it.")
    if report.ok:
        given = len(report.witnesses)
        lines.insert(0, "INTACT: the chain is whole, every signature verifies"
                     + (f", and the log extends {checkpoints_given(given)}." if given else "."))
        return True, "\n".join(lines)
    failed = next((w for w in report.witnesses if not w.ok), None)     # the smallest: they come by size
    if failed is not None:
        head = [f"TAMPERING FOUND: the log no longer extends the checkpoint {failed.source}.", failed.problem or ""]
        others = [p for p in report.problems if p != failed.problem]
    else:
        head = ["TAMPERING FOUND" + (f": the first bad log entry is {report.first_bad_entry}."
                                     if report.first_bad_entry is not None else ".")]
        others = report.problems
    return False, "\n".join([*head, "", *lines, *(f"✗ {p}" for p in others)])


class VerifyDialog(QDialog):
    verified = Signal(bool)              # intact?

    def __init__(self, db: DbClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self.setWindowTitle("Verify against witnesses")
        self.setAccessibleName("Verify against witnesses")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.witnesses = QListWidget()
        self.witnesses.setAccessibleName("Witnesses to verify against")
        self.add_files = button("Add &files…", "Add checkpoint files or letters", self.on_add_files_clicked)
        self.add_folder = button("Add f&older…", "Add a witness folder", self.on_add_folder_clicked)
        self.remove = button("&Remove", "Remove the selected witness", self.on_remove_clicked)
        row = QHBoxLayout()
        for widget in (self.add_files, self.add_folder, self.remove):
            row.addWidget(widget)
        row.addStretch(1)
        self.state = status_line("Verification state")
        self.result = QPlainTextEdit()
        self.result.setReadOnly(True)
        self.result.setAccessibleName("Verification result")
        self.result.setFont(QFont("monospace", 9))
        self.verify_button = button("&Verify", "Verify the log against the witnesses", self.on_verify_clicked)
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label(INTRO))
        layout.addWidget(self.witnesses)
        layout.addLayout(row)
        layout.addWidget(self.state)
        layout.addWidget(self.result, 1)
        layout.addWidget(close_row(self, self.verify_button))
        fit_to_screen(self, 820, 560)
        db.call(lambda s: s.witness_status(), self.on_witness_status_loaded, lambda _f: None, owner=self)

    def paths(self) -> list[Path]:
        return [Path(self.witnesses.item(i).text()) for i in range(self.witnesses.count())]

    def add(self, paths: list[Path]) -> None:
        have = set(self.paths())
        for path in paths:
            if path not in have:
                self.witnesses.addItem(str(path))
                have.add(path)

    def on_witness_status_loaded(self, outcome: WitnessOutcome) -> None:
        """The configured witness folder is a witness to start with, when it holds checkpoints."""
        if outcome.folder and outcome.path:
            self.add([Path(outcome.folder)])

    def on_add_files_clicked(self) -> None:
        choose_files_to_read(self, "Add checkpoint files or letters", WITNESS_FILES, self.add)

    def on_add_folder_clicked(self) -> None:
        choose_folder(self, "Add a witness folder", lambda path: self.add([path]))

    def on_remove_clicked(self) -> None:
        for item in self.witnesses.selectedItems():
            self.witnesses.takeItem(self.witnesses.row(item))

    def on_verify_clicked(self) -> None:
        paths = tuple(self.paths())
        self.state.setText(f"Verifying against {count(len(paths), 'witness', 'witnesses')}…" if paths else
                           "Verifying the chain and signatures (no witness given)…")
        self.result.clear()
        self._db.call(lambda s: s.verify(paths), self.on_verified, self.on_verify_failed,
                      label="Verifying the log against the witnesses…", owner=self)

    def on_verified(self, report: Any) -> None:
        intact, text = report_text(report)
        self.state.setText("Intact." if intact else "TAMPERING FOUND — see below.")
        self.result.setPlainText(text)
        self.verified.emit(intact)

    def on_verify_failed(self, failure: Failure) -> None:
        """A witness that cannot be read (not a checkpoint, a PDF without one): nothing was verified."""
        self.state.setText("Nothing was verified.")
        self.result.setPlainText(failure.message)
