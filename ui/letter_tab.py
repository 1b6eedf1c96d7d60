"""The Letter tab: issue the letter of a final decision (signed as a PDF with the user's key: the passphrase is
asked again first, as for a decision), preview the stored PDF (QtPdf), print it or save it.

What is previewed, printed and saved is the PDF the store holds (`Session.letter_bytes`), never a new rendering.
Every print and save is recorded through the service (`Session.record_letter_output`, an audit-log entry) once
it has really happened: a printer that could not be opened or a file that could not be written is reported
and nothing is recorded. If recording fails after a save (or a print to a PDF file) the file is removed again,
so no copy of the letter exists that the log does not know about.

Issue letter, Print and Save are the request's shared actions (`RequestCommands`): enabled from what the service
says this user may do with the request and from what the tab shows (a letter issued here, or still loading).
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton, QSplitter, QVBoxLayout, QWidget

from workstation.crypto.digest import sha256_hex
from workstation.errors import DwsError
from workstation.fsutil import atomic_write
from workstation.service import Session

from .capabilities import NOT_AVAILABLE, Capabilities
from .clipboard import ClipboardGuard
from .commands import NO_REQUEST, RequestCommands
from .database import DbClient
from .dialog_parts import ask_passphrase
from .failures import ERROR, Failure, show_failure
from .file_dialogs import choose_file_to_write
from .labels import InfoLabel
from .letter_view import LetterText, LetterView
from .printing import PrintError, choose_printer, load_pdf, print_document, printer_label
from .values import RequestSnapshot


class SaveError(DwsError):
    """The chosen file could not be written."""


def issue_letter(session: Session, request_id: str, passphrase: str) -> bytes:
    """Issue the letter, signed with the user's key that `passphrase` opens (or find the one issued), and
    return the bytes as stored."""
    session.issue_letter(request_id, passphrase)
    stored = session.letter_bytes(request_id)
    if stored is None:                  # the decision changed in between: the next snapshot will say so
        raise DwsError(f"the decision on {request_id} changed while its letter was being issued; try again")
    return stored


def save_letter(session: Session, request_id: str, pdf: bytes, path: Path) -> None:
    """Write the letter to `path` (atomically, 0600), then record the save; if recording fails the file is
    removed again. Runs in the DB worker."""
    try:
        atomic_write(path, pdf)
    except OSError as exc:
        raise SaveError(f"The letter could not be saved to {path}: {exc.strerror or type(exc).__name__}. "
                        "Nothing was saved or recorded; choose another folder.") from None
    try:
        session.record_letter_output(request_id, "saved", str(path))
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _remove_output(printer: QPrinter) -> None:
    if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat and printer.outputFileName():
        Path(printer.outputFileName()).unlink(missing_ok=True)


class LetterTab(QWidget):
    letter_loaded = Signal(str)                 # request id: the preview shows its stored letter
    letter_issued = Signal(str)                 # request id: a letter was issued (or the issued one found)
    output_recorded = Signal(str, str)          # action ("printed", "saved"), target: done and in the log

    def __init__(self, db: DbClient, caps: Capabilities, commands: RequestCommands, on_card: bool = False,
                 clipboard: ClipboardGuard | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db, self._caps, self._commands = db, caps, commands
        self._on_card = on_card                 # the user's key is on a smart card: the card's PIN signs
        self._snapshot: RequestSnapshot | None = None
        self._pdf: bytes | None = None
        self._document: QPdfDocument | None = None
        self._looking = False                   # asking the store for the issued letter
        self._refusal: str | None = None        # why this user may not see or issue letters
        self._last_output = ""
        self._dialog: QDialog | None = None
        self.state = InfoLabel("Letter", selectable=True, announce=True)
        self.issue = self._button("&Issue letter", "issue")
        self.print = self._button("Print…", "print")
        self.save = self._button("Save &as…", "save")
        buttons = QHBoxLayout()
        for button in (self.issue, self.print, self.save):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self._blank = QPdfDocument(self)        # shown when there is no letter (the view warns on None)
        self.preview = LetterView(self)
        self.text = LetterText(clipboard, self)
        pane = QSplitter(Qt.Orientation.Horizontal)
        pane.addWidget(self.preview)
        pane.addWidget(self.text)
        pane.setStretchFactor(0, 3)
        pane.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.state)
        layout.addLayout(buttons)
        layout.addWidget(pane, 1)
        self._update()

    def _button(self, text: str, command: str) -> QPushButton:
        button = QPushButton(text)                 # its name is what it shows (WCAG 2.5.3)
        self._commands.bind(button, command)       # its action's state, and what it does or why not (description)
        return button

    # --- which letter is shown -----------------------------------------------------------------------
    @property
    def pdf(self) -> bytes | None:
        """The stored letter bytes the preview shows (None when no letter is shown)."""
        return self._pdf

    @property
    def document(self) -> QPdfDocument | None:
        return self._document

    @property
    def dialog(self) -> QDialog | None:
        """The print or save dialog opened last, while it exists (each deletes itself when closed)."""
        return self._dialog if self._dialog is not None and shiboken6.isValid(self._dialog) else None

    def _key(self) -> tuple[str, str | None] | None:
        if self._snapshot is None:
            return None
        decision = self._snapshot.decision
        return self._snapshot.request_id, decision.decision_id if decision is not None else None

    def _final(self) -> bool:
        decision = self._snapshot.decision if self._snapshot else None
        return decision is not None and bool(decision.final)

    def show_snapshot(self, snapshot: RequestSnapshot) -> None:
        """A request was (re)loaded: keep the letter only if it belongs to the same decision, else look for the
        one issued for the current decision."""
        before = self._key()
        self._snapshot = snapshot
        if self._key() != before:
            self._set_pdf(None)
            self._refusal = None
            self._last_output = ""
            self._looking = False
        if self._caps.letters and self._final() and self._pdf is None and not self._looking:
            self._looking = True
            key, rid = self._key(), snapshot.request_id
            self._db.call(lambda s: s.letter_bytes(rid), lambda pdf: self.on_stored_letter_loaded(key, pdf),
                          lambda failure: self.on_stored_letter_refused(key, failure), owner=self)
        self._update()

    def on_stored_letter_loaded(self, key: tuple[str, str | None] | None, pdf: bytes | None) -> None:
        if key != self._key():
            return
        self._looking = False
        if pdf is not None:
            self._show_letter(pdf)
        else:
            self._update()

    def on_stored_letter_refused(self, key: tuple[str, str | None] | None, failure: Failure) -> None:
        if key != self._key():
            return
        self._looking = False
        self._refusal = failure.message
        self._update()

    def _show_letter(self, pdf: bytes) -> None:
        try:
            self._set_pdf(pdf)
        except PrintError as exc:
            show_failure(self, Failure(ERROR, str(exc)))
            return
        if self._snapshot is not None:
            self.letter_loaded.emit(self._snapshot.request_id)

    def _set_pdf(self, pdf: bytes | None) -> None:
        self.preview.setDocument(self._blank)
        if self._document is not None:
            self._document.deleteLater()
        self._pdf, self._document = None, None
        self.text.clear()
        if pdf is not None:
            self._document = load_pdf(pdf, self)
            self._pdf = pdf
            self.preview.setDocument(self._document)
            self.preview.fit()
            self._load_text()
        self._update()

    def _load_text(self) -> None:
        """The letter's text, read by the service from the stored PDF, beside the pages."""
        key = self._key()
        if key is None:
            return
        self._db.call(lambda s: s.letter_text(key[0]), lambda text: self.on_text_loaded(key, text), owner=self)

    def on_text_loaded(self, key: tuple[str, str | None], text: str | None) -> None:
        if key == self._key() and self._pdf is not None:
            self.text.setPlainText(text or "")

    def _update(self) -> None:
        gate = self._commands.gate
        if not self._caps.letters:
            self.state.setText(NOT_AVAILABLE.format(what="Issuing, printing and saving letters"))
            for key in ("issue", "print", "save"):
                gate(key, "letters are not available yet in this version of the workstation")
            return
        pdf, document, snapshot = self._pdf, self._document, self._snapshot
        shown = pdf is not None and document is not None
        if pdf is not None and document is not None and snapshot is not None:
            pages = document.pageCount()
            text = (f"Letter of {snapshot.request_id}, as stored: {pages} page{'s' * (pages != 1)}, "
                    f"{len(pdf):,} bytes, SHA-256 {sha256_hex(pdf)[:16]}…. "
                    "Printing and saving it are recorded in the audit log.")
            if self._last_output:
                text += "\n" + self._last_output
        elif snapshot is None:
            text = "Open a request from the queue."
        elif not self._final():
            text = "A letter can be issued once the decision is signed and, where needed, approved."
        elif self._refusal is not None:
            text = f"Letters are not available to you: {self._refusal}"
        elif self._looking:
            text = "Looking for the issued letter…"
        else:
            text = "The decision is final: issue the letter to preview, print or save it."
        self.state.setText(text)
        gate("issue", self._issue_refusal(shown))
        output = (NO_REQUEST if snapshot is None else None if shown else self._refusal
                  or snapshot.actions.letter_output.reason or "the issued letter is not shown yet")
        gate("print", output)
        gate("save", output)

    def _issue_refusal(self, shown: bool) -> str | None:
        """Why the letter cannot be issued now (None: it can): the service's reason, or what the tab is doing."""
        if self._snapshot is None:
            return NO_REQUEST
        if shown:
            return "the letter is issued (shown below): print or save it"
        if self._refusal is not None:
            return self._refusal
        if self._looking:
            return "looking for the letter already issued…"
        return self._snapshot.actions.issue_letter.reason

    # --- issuing -------------------------------------------------------------------------------------
    def on_issue_clicked(self) -> None:
        if not self.issue.isEnabled() or self._snapshot is None:
            return
        key, rid = self._key(), self._snapshot.request_id
        passphrase = ask_passphrase(self, "Sign the letter", self._on_card)     # the PDF is signed with your key
        if passphrase is None or key != self._key():
            return
        self._commands.gate("issue", "the letter is being issued…")
        self._db.call(lambda s: issue_letter(s, rid, passphrase), lambda pdf: self.on_letter_issued(key, pdf),
                      self.on_issue_failed, label="Signing and issuing the letter…", owner=self)

    def on_letter_issued(self, key: tuple[str, str | None] | None, pdf: bytes) -> None:
        if key != self._key() or self._snapshot is None:
            return
        self._show_letter(pdf)
        self.letter_issued.emit(self._snapshot.request_id)

    def on_issue_failed(self, failure: Failure) -> None:
        self._update()
        show_failure(self, failure)

    # --- printing ------------------------------------------------------------------------------------
    def on_print_clicked(self) -> None:
        if self._document is None or self._snapshot is None or not self.print.isEnabled():
            return
        self._dialog = choose_printer(self, self._document, f"Letter for request {self._snapshot.request_id}",
                                     self.print_to)

    def print_to(self, printer: QPrinter) -> None:
        """Render the letter onto a printer chosen (and set up) in the print dialog; record the print only
        once the printer has taken every page."""
        if self._document is None or self._snapshot is None:
            return
        target = printer_label(printer)
        try:
            pages = print_document(printer, self._document)
        except PrintError as exc:
            show_failure(self, Failure(ERROR, f"The letter was not printed: {exc}. Nothing was recorded."))
            return
        rid, key = self._snapshot.request_id, self._key()
        done = f"Printed {pages} page{'s' * (pages != 1)} to the {target}; recorded in the audit log."

        def unrecorded(failure: Failure) -> None:
            _remove_output(printer)
            show_failure(self, Failure(failure.kind, f"The letter went to the {target}, but recording the print "
                                                     f"in the audit log failed, so report it to your administrator "
                                                     f"(a PDF file is removed again).\n\n{failure.message}"))

        self._db.call(lambda s: s.record_letter_output(rid, "printed", target),
                      lambda _r: self.on_output_recorded(key, "printed", target, done), unrecorded,
                      label="Recording the print…", owner=self)

    # --- saving --------------------------------------------------------------------------------------
    def on_save_clicked(self) -> None:
        if self._pdf is None or self._snapshot is None or not self.save.isEnabled():
            return
        self._dialog = choose_file_to_write(self, "Save letter as", "PDF (*.pdf)",
                                            f"{self._snapshot.request_id}-letter.pdf", self.save_to)

    def save_to(self, path: Path) -> None:
        """Write the stored bytes to `path` in the worker and record the save there; report either."""
        if self._pdf is None or self._snapshot is None:
            return
        pdf, rid, key = self._pdf, self._snapshot.request_id, self._key()
        done = f"Saved to {path}; recorded in the audit log."
        self._db.call(lambda s: save_letter(s, rid, pdf, path),
                      lambda _r: self.on_output_recorded(key, "saved", str(path), done),
                      lambda failure: show_failure(self, failure), label="Saving the letter…", owner=self)

    def on_output_recorded(self, key: tuple[str, str | None] | None, action: str, target: str, done: str) -> None:
        if key == self._key():
            self._last_output = done
            self._update()
        self.output_recorded.emit(action, target)
