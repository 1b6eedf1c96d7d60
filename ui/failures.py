"""The one place errors are classified (in the worker thread) and shown (in the UI thread).

Kinds follow the house taxonomy: "error" (a DwsError: its message is written for users and never carries a
taxpayer value), "locked-out" (an error with the seconds left), "cancelled" (silent), "environment" (disk or
database trouble: say what to do) and "bug" (anything else: a short apology naming the crash report, which
holds code locations only — never the exception's message, which might quote data). An office server lost is
"unreachable": an error the office window shows in its status bar rather than in a box (it recurs until the
server is back, and the desktop reconnects by itself).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from workstation.errors import Cancelled, DwsError, LockedOutError, OfficeError

ERROR, LOCKED_OUT, CANCELLED, ENVIRONMENT, BUG = "error", "locked-out", "cancelled", "environment", "bug"
UNREACHABLE = "unreachable"      # an office server lost: an error the office window shows in its status bar


@dataclass(frozen=True, slots=True)
class Failure:
    kind: str
    message: str
    seconds_left: int = 0

    @property
    def silent(self) -> bool:
        return self.kind == CANCELLED


def classify(exc: BaseException) -> Failure:
    """Turn an exception raised by a job into a Failure safe to show. Runs in the worker thread."""
    if isinstance(exc, Cancelled):
        return Failure(CANCELLED, "")
    if isinstance(exc, LockedOutError):
        return Failure(LOCKED_OUT, str(exc), exc.seconds_left)
    if isinstance(exc, OfficeError) and exc.reason == UNREACHABLE:
        return Failure(UNREACHABLE, str(exc))
    if isinstance(exc, DwsError):
        return Failure(ERROR, str(exc))
    from workstation.crashlog import write_crash_report

    report = write_crash_report(exc)
    if isinstance(exc, OSError) or type(exc).__module__.startswith("sqlcipher3"):
        return Failure(ENVIRONMENT, "The store could not be read or written (the disk may be full, or a file may "
                                    "not be writable). Nothing was changed. Free some space or ask your "
                                    f"administrator, then try again. Details without taxpayer data: {report}")
    return Failure(BUG, "Sorry, something went wrong and the operation was not completed. A report without "
                        f"taxpayer data was written to {report}; please pass it to your administrator.")


def show_failure(parent: QWidget | None, failure: Failure, title: str = "Disclosure Workstation") -> None:
    """Show a failure in a message box (plain text); cancelled work is silent."""
    if failure.silent:
        return
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical if failure.kind in (BUG, ENVIRONMENT) else QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(failure.message)
    box.setAccessibleName("Error message")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.open()
