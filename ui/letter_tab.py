"""The Letter tab: issue the letter of a final decision, preview its stored PDF, print it or save it. Every
print and save is recorded through the service (the accounting and the log), and the letter is only written
where the officer chooses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from workstation.fsutil import atomic_write

from .capabilities import NOT_AVAILABLE, Capabilities
from .database import DbClient
from .failures import ERROR, Failure, show_failure
from .labels import plain_label
from .printing import HAVE_QTPDF, PrintError, choose_printer, load_pdf, printer_label, send
from .values import RequestSnapshot


class LetterTab(QWidget):
    def __init__(self, db: DbClient, caps: Capabilities, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db, self._caps = db, caps
        self._snapshot: RequestSnapshot | None = None
        self._pdf: bytes | None = None
        self._document: Any = None
        self.state = plain_label("")
        self.state.setAccessibleName("Letter status")
        self.issue = self._button("&Issue letter", "Issue the letter of the final decision", self.on_issue_clicked)
        self.print = self._button("Print…", "Print the letter", self.on_print_clicked)
        self.save = self._button("Save &as…", "Save the letter as a PDF file", self.on_save_clicked)
        buttons = QHBoxLayout()
        for button in (self.issue, self.print, self.save):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.preview: QWidget = plain_label("")
        if HAVE_QTPDF:
            from PySide6.QtPdfWidgets import QPdfView

            view = QPdfView(self)
            view.setPageMode(QPdfView.PageMode.MultiPage)
            view.setAccessibleName("Letter preview")
            self.preview = view
        layout = QVBoxLayout(self)
        layout.addWidget(self.state)
        layout.addLayout(buttons)
        layout.addWidget(self.preview, 1)
        self._update()

    def _button(self, text: str, name: str, slot: object) -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(name)
        button.clicked.connect(slot)
        return button

    def show_snapshot(self, snapshot: RequestSnapshot) -> None:
        if self._snapshot is None or snapshot.request_id != self._snapshot.request_id:
            self._set_pdf(None)
        self._snapshot = snapshot
        self._update()

    def _final(self) -> bool:
        decision = self._snapshot.decision if self._snapshot else None
        return decision is not None and bool(getattr(decision, "final", False))

    def _update(self) -> None:
        if not self._caps.letters:
            self.state.setText(NOT_AVAILABLE.format(what="Issuing, printing and saving letters"))
            for button in (self.issue, self.print, self.save):
                button.setEnabled(False)
            return
        if self._pdf is not None:
            note = "" if HAVE_QTPDF else " (no preview: QtPdf from PySide6-Addons is not installed)"
            self.state.setText(f"Letter of {self._snapshot.request_id if self._snapshot else ''}: "
                               f"{len(self._pdf):,} bytes{note}.")
        elif self._snapshot is None:
            self.state.setText("Open a request from the queue.")
        elif not self._final():
            self.state.setText("A letter can be issued once the decision is signed and, where needed, approved.")
        else:
            self.state.setText("The decision is final: issue the letter to preview, print or save it.")
        self.issue.setEnabled(self._final() and self._pdf is None)
        self.print.setEnabled(self._pdf is not None)
        self.save.setEnabled(self._pdf is not None)

    def _set_pdf(self, pdf: bytes | None) -> None:
        self._pdf = pdf
        if self._document is not None:
            self._document.deleteLater()
            self._document = None
        if pdf is not None and HAVE_QTPDF:
            self._document = load_pdf(pdf, self)
            self.preview.setDocument(self._document)  # type: ignore[attr-defined]
        self._update()

    def on_issue_clicked(self) -> None:
        if self._snapshot is None:
            return
        rid = self._snapshot.request_id
        self._db.call(lambda s: bytes(s.issue_letter(rid)), self.on_letter_issued, label="Issuing the letter…",
                      owner=self)

    def on_letter_issued(self, pdf: bytes) -> None:
        self._set_pdf(pdf)

    def _record_then(self, action: str, target: str, output: Callable[[], None]) -> None:
        """Record the output through the service first; only once it is logged does the letter leave."""
        if self._snapshot is None:
            return
        rid = self._snapshot.request_id
        self._db.call(lambda s: s.record_letter_output(rid, action, target), lambda _r: output(),
                      label="Recording the letter output…", owner=self)

    def on_print_clicked(self) -> None:
        if self._pdf is None:
            return
        printer = choose_printer(self)
        if printer is not None:
            self.print_to(printer)

    def print_to(self, printer: QPrinter) -> None:
        pdf, document = self._pdf, self._document
        if pdf is None:
            return

        def output() -> None:
            try:
                send(printer, pdf, document)
            except PrintError as exc:
                show_failure(self, Failure(ERROR, str(exc)))

        self._record_then("printed", printer_label(printer), output)

    def on_save_clicked(self) -> None:
        if self._pdf is None or self._snapshot is None:
            return
        name, _filter = QFileDialog.getSaveFileName(self, "Save letter", f"{self._snapshot.request_id}-letter.pdf",
                                                    "PDF (*.pdf)")
        if name:
            self.save_to(Path(name))

    def save_to(self, path: Path) -> None:
        pdf = self._pdf
        if pdf is None:
            return

        def output() -> None:
            try:
                atomic_write(path, pdf)
            except OSError as exc:
                show_failure(self, Failure(ERROR, f"The letter could not be saved to {path}: {exc.strerror}"))

        self._record_then("saved", str(path), output)
