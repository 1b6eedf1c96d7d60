"""Showing and printing a letter's PDF bytes without writing them to a temporary file.

With QtPdf (PySide6-Addons) pages are rendered in-process, for the preview and onto a QPrinter. Without it
there is no preview, and printing hands the bytes to CUPS (`lp`, reading standard input) for the printer
chosen in the print dialog.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
from PySide6.QtGui import QImage, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QWidget

from workstation.errors import DwsError

HAVE_QTPDF = importlib.util.find_spec("PySide6.QtPdf") is not None


class PrintError(DwsError):
    pass


def load_pdf(pdf: bytes, parent: QWidget) -> Any:
    """A QPdfDocument over the bytes (kept in memory), or None without QtPdf."""
    if not HAVE_QTPDF:
        return None
    from PySide6.QtPdf import QPdfDocument

    document = QPdfDocument(parent)
    buffer = QBuffer(document)
    buffer.setData(QByteArray(pdf))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document.load(buffer)
    return document


def choose_printer(parent: QWidget) -> QPrinter | None:
    """The print dialog; None when the user cancelled."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setColorMode(QPrinter.ColorMode.GrayScale)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle("Print letter")
    return printer if dialog.exec() == QDialog.DialogCode.Accepted else None


def printer_label(printer: QPrinter) -> str:
    return printer.printerName() or "default printer"


def send(printer: QPrinter, pdf: bytes, document: Any) -> None:
    """Print the letter: rendered in-process with QtPdf, else through CUPS."""
    if document is not None:
        _render(printer, document)
    else:
        _lp(printer.printerName(), pdf)


def _render(printer: QPrinter, document: Any) -> None:
    painter = QPainter()
    if not painter.begin(printer):
        raise PrintError("the printer could not be opened")
    try:
        target = printer.pageRect(QPrinter.Unit.DevicePixel).toRect()
        for page in range(document.pageCount()):
            if page:
                printer.newPage()
            image: QImage = document.render(page, QSize(target.width(), target.height()))
            painter.drawImage(target, image)
    finally:
        painter.end()


def _lp(printer_name: str, pdf: bytes) -> None:
    lp = shutil.which("lp")
    if lp is None:
        raise PrintError("printing needs QtPdf (PySide6-Addons) or the CUPS 'lp' command; neither is installed. "
                         "Use Save As… and print the saved letter instead.")
    args = [lp, "-s"] + (["-d", printer_name] if printer_name else []) + ["-"]
    done = subprocess.run(args, input=pdf, capture_output=True, timeout=60, check=False)
    if done.returncode != 0:
        raise PrintError(f"the print system refused the letter (lp exit status {done.returncode})")
