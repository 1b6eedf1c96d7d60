"""Showing and printing a letter's PDF bytes in-process with QtPdf (PySide6-Addons): the bytes are never written
to a temporary file, and what is previewed and printed is exactly what the store holds.

Printing renders each page at RENDER_DPI (grayscale unless colour was chosen) and draws it at its actual size on
the printer's paper (scaled down only to fit a smaller sheet). A printer set to PDF output in the print dialog
gets the same pages, as images. `print_document` returns only when the printer took every page; otherwise it
raises PrintError, so a caller never reports (or logs) a print that did not happen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QImage, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from workstation.errors import DwsError

RENDER_DPI = 300          # sharp on an office printer; a Letter page is 2550 x 3300 pixels


class PrintError(DwsError):
    """The printer (or the PDF file chosen in the print dialog) did not take the letter."""


def load_pdf(pdf: bytes, parent: QObject) -> QPdfDocument:
    """A QPdfDocument over the bytes, kept in memory (loading from a buffer is synchronous)."""
    document = QPdfDocument(parent)
    buffer = QBuffer(document)
    buffer.setData(QByteArray(pdf))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document.load(buffer)
    if document.status() != QPdfDocument.Status.Ready or document.pageCount() < 1:
        document.deleteLater()
        raise PrintError(f"the stored letter could not be read as a PDF ({document.error().name})")
    return document


def choose_printer(parent: QWidget, document: QPdfDocument, title: str,
                   on_chosen: Callable[[QPrinter], None]) -> QPrintDialog:
    """Open the print dialog (window-modal, no nested event loop) over a printer set up for the letter: its
    paper size, grayscale, `title` as the job name. `on_chosen(printer)` runs when the user accepts;
    cancelling calls nothing."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setColorMode(QPrinter.ColorMode.GrayScale)
    printer.setDocName(title)
    printer.setPageSize(QPageSize(document.pagePointSize(0), QPageSize.Unit.Point, "",
                                  QPageSize.SizeMatchPolicy.FuzzyMatch))
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle("Print letter")
    dialog.setAccessibleName("Print letter")
    dialog.setMinMax(1, document.pageCount())
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.printer_ = printer            # the dialog only points at it: kept alive as long as the dialog
    dialog.accepted.connect(lambda: on_chosen(printer))
    QDialog.open(dialog)                 # QPrintDialog.open() is the (receiver, slot) overload in PySide6
    return dialog


def printer_label(printer: QPrinter) -> str:
    """What the log records as the print's target."""
    if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat:
        return f"PDF file {printer.outputFileName()}"
    return f"printer {printer.printerName() or '(system default)'}"


def pages_to_print(printer: QPrinter, page_count: int) -> list[int]:
    """0-based page numbers in printing order: the range and page order chosen in the dialog, repeated for
    each copy when the printer does not make the copies itself."""
    ranges = printer.pageRanges()
    pages = [n for n in range(page_count) if ranges.isEmpty() or ranges.contains(n + 1)]
    if printer.pageOrder() == QPrinter.PageOrder.LastPageFirst:
        pages.reverse()
    copies = 1 if printer.supportsMultipleCopies() else max(1, printer.copyCount())
    return pages * copies


def print_document(printer: QPrinter, document: QPdfDocument) -> int:
    """Render the letter onto the printer; the number of pages sent. PrintError when the printer could not
    be opened, refused a page or failed to finish the job (nothing can be taken as printed then)."""
    pages = pages_to_print(printer, document.pageCount())
    if not pages:
        raise PrintError("the page range chosen holds none of the letter's pages")
    gray = printer.colorMode() == QPrinter.ColorMode.GrayScale
    printer.setFullPage(True)            # draw on the whole sheet: the letter has its own margins
    painter = QPainter()
    with _busy():
        if not painter.begin(printer):
            raise PrintError(f"the {printer_label(printer)} could not be opened for printing")
        try:
            paper = printer.paperRect(QPrinter.Unit.DevicePixel)
            for index, page in enumerate(pages):
                if index and not printer.newPage():
                    raise PrintError(f"the {printer_label(printer)} did not take page {index + 1}")
                image = render_page(document, page, gray)
                painter.drawImage(_fit(document.pagePointSize(page), QSizeF(paper.width(), paper.height()),
                                       printer.resolution()), image)
        except BaseException:
            printer.abort()
            raise
        finally:
            finished = painter.end()
    if not finished or printer.printerState() in (QPrinter.PrinterState.Error, QPrinter.PrinterState.Aborted):
        raise PrintError(f"the {printer_label(printer)} did not finish the job")
    if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat and not _nonempty(printer.outputFileName()):
        raise PrintError(f"the {printer_label(printer)} was not written")
    return len(pages)


def render_page(document: QPdfDocument, page: int, gray: bool = True) -> QImage:
    """The page at RENDER_DPI on white paper (QtPdf renders onto a transparent background)."""
    points = document.pagePointSize(page)
    size = QSize(round(points.width() * RENDER_DPI / 72), round(points.height() * RENDER_DPI / 72))
    sheet = QImage(size, QImage.Format.Format_RGB32)
    sheet.fill(Qt.GlobalColor.white)
    painter = QPainter(sheet)
    painter.drawImage(0, 0, document.render(page, size))
    painter.end()
    return sheet.convertToFormat(QImage.Format.Format_Grayscale8) if gray else sheet


def _fit(page_points: QSizeF, paper: QSizeF, dpi: int) -> QRectF:
    """The page at its actual size, centred on the paper; scaled down only when the paper is smaller."""
    size = QSizeF(page_points.width() * dpi / 72, page_points.height() * dpi / 72)
    if size.width() > paper.width() or size.height() > paper.height():
        size = size.scaled(paper, Qt.AspectRatioMode.KeepAspectRatio)
    return QRectF((paper.width() - size.width()) / 2, (paper.height() - size.height()) / 2, size.width(),
                  size.height())


def _nonempty(name: str) -> bool:
    try:
        return bool(name) and Path(name).stat().st_size > 0
    except OSError:
        return False


@contextmanager
def _busy() -> Iterator[None]:
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        yield
    finally:
        QApplication.restoreOverrideCursor()
