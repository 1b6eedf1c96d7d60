"""The Letter tab: the preview shows the letter exactly as stored, Print goes through the real print dialog
(here to a PDF file) and Save As through the file dialog; both are recorded in the audit log only once the
output has really happened, and a failed output is reported and recorded nowhere."""

from __future__ import annotations

import io
import shutil
import stat
import statistics
import subprocess
from pathlib import Path

import pytest
from guihelp import (  # noqa: F401
    GUI_MARKS,
    WAIT_MS,
    DemoTemplate,
    answer_passphrase,
    ask,
    copy_store,
    decided_copy,
    demo_template_fixture,
    desktop_fixture,
    log_entries,
    message_boxes,
    open_request,
    open_tab,
    wait_idle,
)
from pypdf import PdfReader
from PySide6.QtGui import QImage
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QApplication, QComboBox, QDialogButtonBox, QFileDialog, QLineEdit

from ui.app import DesktopApp
from ui.letter_tab import LetterTab
from ui.main_window import MainWindow
from workstation.demo_store import demo_passphrase
from workstation.service import Workstation

pytestmark = [*GUI_MARKS, pytest.mark.skipif(not all(map(shutil.which, ("pdftoppm", "pdftotext", "zbarimg"))),
                                             reason="poppler-utils and zbar-tools are needed (.ci/run installs them)")]
REQUEST = "DEMO-I2-PARTIAL"            # recommendation: partial grant (needs a second signature)
PRINT_TO_FILE = "Print to File (PDF)"  # Qt's own entry in the print dialog's printer list


@pytest.fixture(scope="module")
def approved_template(demo_template: DemoTemplate, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store with a partial grant signed by rita and approved by alex (through the service; the
    Decision tab has its own tests): its letter can be issued."""
    return decided_copy(demo_template, tmp_path_factory.mktemp("approved") / "store", {REQUEST: "partial"}, [REQUEST])


@pytest.fixture(name="store")
def approved_store(approved_template: Path, tmp_path: Path) -> Workstation:
    """Each test's own copy of the approved store (the `desktop` fixture runs on it)."""
    return copy_store(approved_template, tmp_path)


def letter_tab(qtbot, desktop: DesktopApp, issue: bool = True) -> tuple[MainWindow, LetterTab]:  # type: ignore[no-untyped-def]
    window, tab = open_tab(qtbot, desktop, "rita", REQUEST, lambda view: view.letter)
    if issue:
        assert tab.issue.isEnabled() and not tab.print.isEnabled()
        answered: list[str] = []
        answer_passphrase(demo_passphrase("rita"), answered)       # issuing signs the PDF with rita's key
        with qtbot.waitSignal(tab.letter_loaded, timeout=WAIT_MS):
            tab.issue.click()
        wait_idle(qtbot, desktop.db)
        assert answered == ["Sign the letter: enter your passphrase again."]
    return window, tab


def poppler_pages(pdf: Path, folder: Path, dpi: int = 50) -> list[QImage]:
    """Each page as poppler (not QtPdf) renders it, in grayscale: what a reader of the file would see."""
    folder.mkdir()
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(pdf), str(folder / "page")], check=True)
    return [QImage(str(png)) for png in sorted(folder.glob("page*.png"))]


def gray_rows(image: QImage) -> list[bytes]:
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    data, stride = bytes(gray.constBits()), gray.bytesPerLine()
    return [data[y * stride:y * stride + gray.width()] for y in range(gray.height())]


def ink(image: QImage) -> float:
    """The fraction of dark pixels."""
    rows = gray_rows(image)
    return sum(1 for row in rows for value in row if value < 128) / (len(rows) * len(rows[0]))


def line_profile_match(a: QImage, b: QImage, band: int = 5) -> float:
    """How well the text lines of two page images line up: the correlation of their ink per band of rows
    (5 rows at 50 dpi, a tenth of an inch). About 0.8-0.9 for the same page drawn by two renderers, near 0
    for different pages."""
    def profile(image: QImage) -> list[int]:
        ink_per_row = [sum(255 - value for value in row) for row in gray_rows(image)]
        return [sum(ink_per_row[i:i + band]) for i in range(0, len(ink_per_row) - band + 1, band)]

    return statistics.correlation(profile(a), profile(b))


def qr_payload(pdf: Path, page: int, folder: Path) -> str:
    folder.mkdir()
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", str(page), "-l", str(page), str(pdf),
                    str(folder / "page")], check=True)
    done = subprocess.run(["zbarimg", "--quiet", "--raw", str(next(folder.glob("page*.png")))],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def print_dialog(qtbot) -> QPrintDialog:  # type: ignore[no-untyped-def]
    found: list[QPrintDialog] = []

    def shown() -> bool:
        found[:] = [w for w in QApplication.allWidgets() if isinstance(w, QPrintDialog) and w.isVisible()]
        return len(found) == 1

    qtbot.waitUntil(shown, timeout=WAIT_MS)
    return found[0]


def print_to_file(qtbot, dialog: QPrintDialog, path: Path) -> None:  # type: ignore[no-untyped-def]
    """In the open print dialog, as a user would: choose "Print to File (PDF)", enter the file name (set, not
    typed: typing opens the file-name completer, which the offscreen platform warns about), press Print."""
    printers = dialog.findChild(QComboBox, "printers")
    printers.setCurrentIndex(printers.findText(PRINT_TO_FILE))
    name = dialog.findChild(QLineEdit, "filename")
    name.setText(str(path))
    buttons = dialog.findChild(QDialogButtonBox)
    buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def test_the_preview_shows_the_stored_letter(qtbot, desktop: DesktopApp) -> None:
    window, tab = letter_tab(qtbot, desktop)
    stored = ask(qtbot, desktop.db, lambda s: s.letter_bytes(REQUEST))
    assert stored is not None and tab.pdf == stored
    document = tab.preview.document()
    assert document is tab.document and document.status() == QPdfDocument.Status.Ready
    assert document.pageCount() == len(PdfReader(io.BytesIO(stored)).pages) >= 2
    assert "2 pages" in tab.state.text() and "as stored" in tab.state.text()
    assert not tab.issue.isEnabled() and tab.print.isEnabled() and tab.save.isEnabled()
    qtbot.waitUntil(lambda: 0.002 < ink(tab.preview.grab().toImage()) < 0.3, timeout=WAIT_MS)  # the page shows
    issued = log_entries(qtbot, desktop.db, "letter-")
    assert [e for e, _o, _d in issued] == ["letter-issued"]

    window.request.reload()                       # the same decision: the letter stays, nothing is issued again
    wait_idle(qtbot, desktop.db)
    assert tab.pdf == stored and not tab.issue.isEnabled()
    open_request(qtbot, window, "DEMO-I2-VALID")  # another request: no letter
    wait_idle(qtbot, desktop.db)
    assert tab.pdf is None and tab.document is None and not tab.print.isEnabled()
    assert tab.preview.document().pageCount() == 0
    with qtbot.waitSignal(tab.letter_loaded, timeout=WAIT_MS):   # back again: the stored letter, from the store
        open_request(qtbot, window, REQUEST)
    assert tab.pdf == stored and tab.document is not None and tab.preview.document() is tab.document
    assert tab.document.pageCount() == len(PdfReader(io.BytesIO(stored)).pages)
    assert [e for e, _o, _d in log_entries(qtbot, desktop.db, "letter-")] == ["letter-issued"]


def test_issuing_asks_the_passphrase_and_a_wrong_or_cancelled_one_issues_nothing(qtbot, desktop: DesktopApp) -> None:
    _window, tab = letter_tab(qtbot, desktop, issue=False)
    answered: list[str] = []
    answer_passphrase(None, answered)                          # Cancel
    tab.issue.click()
    qtbot.waitUntil(lambda: len(answered) == 1, timeout=WAIT_MS)
    wait_idle(qtbot, desktop.db)
    assert tab.issue.isEnabled() and tab.pdf is None
    answer_passphrase("not rita's passphrase", answered)
    tab.issue.click()
    qtbot.waitUntil(lambda: any("wrong passphrase" in b.text() for b in message_boxes()), timeout=WAIT_MS)
    for box in message_boxes():
        box.close()
    wait_idle(qtbot, desktop.db)
    assert tab.issue.isEnabled() and tab.pdf is None
    assert log_entries(qtbot, desktop.db, "letter-") == []


def test_print_to_a_pdf_file_through_the_print_dialog(qtbot, desktop: DesktopApp, tmp_path: Path) -> None:
    _window, tab = letter_tab(qtbot, desktop)
    stored = tab.pdf
    assert stored is not None
    out = tmp_path / "printed" / "letter-printout.pdf"
    out.parent.mkdir()
    tab.print.click()
    dialog = print_dialog(qtbot)
    assert dialog.windowTitle() == "Print letter"
    with qtbot.waitSignal(tab.output_recorded, timeout=WAIT_MS) as recorded:
        print_to_file(qtbot, dialog, out)
    assert recorded.args == ["printed", f"PDF file {out}"]
    assert message_boxes() == []
    assert f"Printed 2 pages to the PDF file {out}; recorded in the audit log." in tab.state.text()

    original = tmp_path / "stored.pdf"
    original.write_bytes(stored)
    pages = len(PdfReader(original).pages)
    assert len(PdfReader(out).pages) == pages == 2
    # The printout shows what the stored letter shows, page by page, as poppler renders the two files...
    for mine, theirs in zip(poppler_pages(out, tmp_path / "out"), poppler_pages(original, tmp_path / "in"),
                            strict=True):
        assert mine.size() == theirs.size()
        assert 0.003 < ink(theirs) < 0.2 and 0.7 < ink(mine) / ink(theirs) < 1.4
        assert line_profile_match(mine, theirs) > 0.65
    # ... and the verification QR code on its last page still reads as the letter's reference.
    letter_id = log_entries(qtbot, desktop.db, "letter-issued")[0][2]["letter_id"]
    for pdf, folder in ((original, "qr-in"), (out, "qr-out")):
        payload = qr_payload(pdf, pages, tmp_path / folder)
        assert f"DWS-LETTER/1 {letter_id}" in payload and f"DECISION D-{letter_id[2:]}" in payload
    text = subprocess.run(["pdftotext", str(original), "-"], capture_output=True, text=True, check=True).stdout
    assert f"Letter {letter_id} | Request {REQUEST}" in text

    events = log_entries(qtbot, desktop.db, "letter-")
    assert [(e, d.get("target")) for e, _o, d in events] == [("letter-issued", None),
                                                             ("letter-printed", f"PDF file {out}")]
    assert events[1][1] == REQUEST and events[1][2]["letter_id"] == events[0][2]["letter_id"]


@pytest.mark.qt_log_ignore(r"QPainter::begin\(\): Returned false",                        # what is tested here
                           r"This plugin does not support (propagateSizeHints|raise)\(\)")  # as GUI_MARKS
def test_a_printer_that_cannot_start_is_reported_and_nothing_is_recorded(qtbot, desktop: DesktopApp,
                                                                         tmp_path: Path) -> None:
    _window, tab = letter_tab(qtbot, desktop)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be\n")
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(blocker / "letter.pdf"))
    tab.print_to(printer)
    wait_idle(qtbot, desktop.db)
    boxes = message_boxes()
    assert len(boxes) == 1 and "The letter was not printed" in boxes[0].text()
    assert "could not be opened" in boxes[0].text() and "Nothing was recorded" in boxes[0].text()
    assert "Printed" not in tab.state.text()
    assert [e for e, _o, _d in log_entries(qtbot, desktop.db, "letter-")] == ["letter-issued"]


def test_save_as_writes_the_stored_bytes_and_records_the_save(qtbot, desktop: DesktopApp, tmp_path: Path) -> None:
    _window, tab = letter_tab(qtbot, desktop)
    out = tmp_path / "saved.pdf"
    tab.save.click()
    qtbot.waitUntil(lambda: isinstance(tab.dialog, QFileDialog) and tab.dialog.isVisible(), timeout=WAIT_MS)
    dialog = tab.dialog
    assert isinstance(dialog, QFileDialog) and dialog.selectedFiles()[0].endswith(f"{REQUEST}-letter.pdf")
    with qtbot.waitSignal(tab.output_recorded, timeout=WAIT_MS) as recorded:
        dialog.setDirectory(str(tmp_path))
        dialog.selectFile(str(out))
        dialog.accept()
    assert recorded.args == ["saved", str(out)]
    assert out.read_bytes() == tab.pdf == ask(qtbot, desktop.db, lambda s: s.letter_bytes(REQUEST))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert f"Saved to {out}; recorded in the audit log." in tab.state.text()
    events = log_entries(qtbot, desktop.db, "letter-")
    assert [(e, d.get("target")) for e, _o, d in events] == [("letter-issued", None), ("letter-saved", str(out))]
    assert ask(qtbot, desktop.db, lambda s: s.verify_letter(out.read_bytes(), str(out))).ok


def test_a_failed_save_shows_an_error_and_records_nothing(qtbot, desktop: DesktopApp, tmp_path: Path) -> None:
    _window, tab = letter_tab(qtbot, desktop)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be\n")   # unwritable even for root
    target = blocker / "letter.pdf"
    tab.save_to(target)
    wait_idle(qtbot, desktop.db)
    boxes = message_boxes()
    assert len(boxes) == 1 and f"The letter could not be saved to {target}" in boxes[0].text()
    assert "Nothing was saved or recorded" in boxes[0].text()
    assert not target.exists() and "Saved" not in tab.state.text()
    assert [e for e, _o, _d in log_entries(qtbot, desktop.db, "letter-")] == ["letter-issued"]
