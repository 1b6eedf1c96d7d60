"""Screenshots of the real application windows under Xvfb (not offscreen rendering).

    Xvfb :77 -screen 0 1400x900x24 &
    DISPLAY=:77 .venv/bin/python docs/screenshots/capture.py --store /tmp/dws-shots [--suffix @2x] [--only NAME]

(for 200 %: a 2800x1800 screen and QT_SCALE_FACTOR=2). The store is a demo store (`dws demo`, made here
if missing); for the letter preview, the partial grant DEMO-I2-PARTIAL is signed by rita and approved by
alex through the service first (if it is not yet), and the letter is issued in the window. Each picture is
the X screen as it is (`QScreen.grabWindow(0)`: menus, tooltips and dialogs included) or a part of it;
`--only` writes just the named ones.

    unlock, queue                      the unlock dialog; the queue with the bulk request selected
    checks-bulk, subject-checks        the bulk request's Checks tab; its subject-level checks (issue 18, item 10)
    preview-search                     the redaction preview of the bulk request, a subject found by name (item 12)
    redaction-preview                  a two-subject request's redaction preview
    signing-dialog                     what a decision signs, restated before the passphrase (item 12)
    actions-disabled, issue-disabled   the Request menu: Approve, Issue letter disabled, with the reason (item 9)
    letter-preview                     the issued letter, its text beside the pages (issue 22)
    focus-queue, focus-decision        the keyboard focus: the ring around the queue and its current cell; the
                                       Justification box (issue 22)
    high-contrast, dark                View › High contrast and the dark palette: the redaction preview with the
                                       focus on Release element… (issue 22)
    guide, about, about-crypto         Help › Guide and Help › About (item 11), its Cryptography tab (issue 23)
    lock                               the lock screen
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("DWS_NO_KEYRING", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QEventLoop, QPoint, QRect, Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QToolTip, QWidget

from ui import appearance
from ui.app import DesktopApp, prepare_process
from ui.main_window import MainWindow
from ui.theme import DARK, HIGH_CONTRAST, LIGHT
from workstation.demo_store import create_demo_store, demo_passphrase
from workstation.service import Workstation

HERE = Path(__file__).resolve().parent
LETTER_REQUEST = "DEMO-I2-PARTIAL"
BULK_REQUEST = "DEMO-I2-BULK"
SIGNED_REQUEST = "DEMO-I2-ITEMS"       # signed (partial) by rita in the window: awaiting the approval
FOUND_NAME = "Garcia"                  # a surname of many demo subjects


def settle(app: QApplication, until: Callable[[], bool] = lambda: True, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not until() and time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
    end = time.monotonic() + 0.6                # let the window system draw
    while time.monotonic() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def approve_partial_grant(store: Workstation) -> None:
    """Sign (rita) and approve (alex) a partial grant of LETTER_REQUEST, unless that is done already."""
    with store.unlock("rita", demo_passphrase("rita")) as reviewer:
        if reviewer.decision(LETTER_REQUEST) is None:
            reviewer.decide(LETTER_REQUEST, "partial", None, demo_passphrase("rita"))
    with store.unlock("alex", demo_passphrase("alex")) as approver:
        decision = approver.decision(LETTER_REQUEST)
        if decision is not None and decision.status != "approved":
            approver.approve(LETTER_REQUEST, demo_passphrase("alex"))


class Camera:
    def __init__(self, app: QApplication, suffix: str, only: list[str] | None) -> None:
        self.app, self.suffix, self.only = app, suffix, only

    def shoot(self, name: str, part: QWidget | None = None, margin: int = 8) -> None:
        """The whole screen, or the part of it `part` covers (with a margin)."""
        settle(self.app)
        if self.only and name not in self.only:
            return
        screen = self.app.primaryScreen()
        if part is None:
            picture = screen.grabWindow(0)
        else:
            box = QRect(part.mapToGlobal(QPoint(0, 0)), part.size()).adjusted(-margin, -margin, margin, margin)
            picture = screen.grabWindow(0, box.x(), box.y(), box.width(), box.height())
        target = HERE / f"{name}{self.suffix}.png"
        if not picture.save(str(target)):
            raise SystemExit(f"could not write {target}")
        print(f"wrote {target}")


def answer_input_dialog(text: str) -> None:
    """Type `text` into the next QInputDialog (the letter's passphrase) and press OK."""
    def attempt() -> None:
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, QInputDialog) and w.isVisible()]
        if not dialogs:
            QTimer.singleShot(50, attempt)
            return
        dialogs[0].setTextValue(text)
        dialogs[0].accept()

    QTimer.singleShot(0, attempt)


def open_and_wait(app: QApplication, desktop: DesktopApp, window: MainWindow, request_id: str,
                  seconds: float = 60) -> None:
    window.open_request(request_id)
    settle(app, lambda: window.request.request_id == request_id and not desktop.db.busy, seconds)


def bulk_request(app: QApplication, camera: Camera, desktop: DesktopApp, window: MainWindow) -> None:
    """Checks of the bulk request (the subject-level checks with their real counts), then a subject found
    by name in its redaction preview."""
    open_and_wait(app, desktop, window, BULK_REQUEST, 120)
    checks = window.request.checks
    window.show_tab(checks)
    settle(app, lambda: not desktop.db.busy and checks.subject_findings.rowCount() > 0)
    camera.shoot("checks-bulk")
    camera.shoot("subject-checks", checks.counts_view.parentWidget())
    preview = window.request.preview
    window.show_tab(preview)
    preview.find.setText(FOUND_NAME)
    preview.on_find_clicked()
    settle(app, lambda: preview.matches.count() > 1 and preview.fields.rowCount() > 0 and not desktop.db.busy)
    preview.matches.showPopup()
    camera.shoot("preview-search")
    preview.matches.hidePopup()
    preview.find.clear()


def sign_and_show_menu(app: QApplication, camera: Camera, desktop: DesktopApp, window: MainWindow) -> None:
    """rita signs a partial grant: the signing dialog restates it; then the Request menu, where Approve (not a
    reviewer's) and Issue letter (the approval is missing) are disabled and say why."""
    open_and_wait(app, desktop, window, SIGNED_REQUEST)
    decision = window.request.decision
    window.show_tab(decision)
    decision.outcome.setCurrentText("partial")
    decision.on_sign_clicked()
    settle(app, lambda: decision.dialog is not None and not desktop.db.busy)
    dialog = decision.dialog
    assert dialog is not None
    dialog.move(window.geometry().center() - dialog.rect().center())
    dialog.passphrase.setText(demo_passphrase("rita"))
    camera.shoot("signing-dialog")
    dialog.ok.click()
    settle(app, lambda: window.request.snapshot is not None and window.request.snapshot.decision is not None
           and not desktop.db.busy)
    bar = window.menuBar()
    [top] = [a for a in bar.actions() if a.text() == "&Request"]
    menu = top.menu()
    menu.popup(bar.mapToGlobal(bar.actionGeometry(top).bottomLeft()))
    settle(app, menu.isVisible)
    for key, name in (("approve", "actions-disabled"), ("issue", "issue-disabled")):
        action = window.request.commands[key]
        menu.setActiveAction(action)
        place = menu.actionGeometry(action)
        # where the pointer resting on the entry would show it (Qt puts the tip below and right of the point)
        QToolTip.showText(menu.mapToGlobal(QPoint(place.center().x(), place.top() - 6)), action.toolTip(), menu,
                          place, 60_000)
        settle(app)
        camera.shoot(name)
        QToolTip.hideText()
    menu.hide()


def focus_and_palettes(app: QApplication, camera: Camera, desktop: DesktopApp, window: MainWindow) -> None:
    """Issue 22: the focus ring, as the keyboard puts it, and the palettes the View menu and the desktop choose
    (applied for the pictures only, so the demo user's own choice stays as it is)."""
    window.activateWindow()
    window.queue.select(SIGNED_REQUEST)
    window.queue.view.setFocus(Qt.FocusReason.TabFocusReason)
    camera.shoot("focus-queue", window.queue)
    decision = window.request.decision
    window.show_tab(decision)
    decision.justification.setFocus(Qt.FocusReason.TabFocusReason)
    camera.shoot("focus-decision", window.request)
    preview = window.request.preview
    window.show_tab(preview)
    settle(app, lambda: preview.fields.rowCount() > 0 and not desktop.db.busy)
    withheld = next((r for r in range(preview.fields.rowCount()) if not preview.fields.row_at(r).released), 0)
    preview.view.selectRow(withheld)
    preview.release.setFocus(Qt.FocusReason.TabFocusReason)
    for name, theme in (("high-contrast", HIGH_CONTRAST), ("dark", DARK)):
        appearance.apply(theme)
        camera.shoot(name)
    appearance.apply(LIGHT)
    settle(app)


def help_windows(app: QApplication, camera: Camera, window: MainWindow) -> None:
    guide = window.show_guide()
    guide.move(window.geometry().center() - guide.rect().center())
    camera.shoot("guide")
    guide.close()
    about = window.show_about()
    about.move(window.geometry().center() - about.rect().center())
    camera.shoot("about")
    about.tabs.setCurrentWidget(about.crypto)
    settle(app, lambda: about.crypto.primitives.rowCount() > 0)
    camera.shoot("about-crypto")
    about.close()
    settle(app)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--suffix", default="")
    parser.add_argument("--only", action="append", metavar="NAME", help="write only this picture (repeatable)")
    args = parser.parse_args()
    if not (args.store / "keyslots.json").exists():
        create_demo_store(args.store, taxpayers=2000, bulk_subjects=5000)
    approve_partial_grant(Workstation(args.store))
    app = QApplication([sys.argv[0]])
    prepare_process()
    camera = Camera(app, args.suffix, args.only)
    desktop = DesktopApp(Workstation(args.store))
    desktop.start()
    dialog = desktop.unlock_dialog
    dialog.move(200, 150)
    dialog._ack.setChecked(True)
    dialog._user.setText("rita")
    dialog._passphrase.setText(demo_passphrase("rita"))
    camera.shoot("unlock")
    dialog.on_unlock_clicked()
    settle(app, lambda: desktop.window is not None and desktop.window.queue.model.rowCount() > 0)
    window = desktop.window
    assert window is not None
    window.move(0, 0)
    screen = app.primaryScreen().availableGeometry()
    window.resize(screen.width(), screen.height())
    window.queue.select(BULK_REQUEST)
    camera.shoot("queue")
    bulk_request(app, camera, desktop, window)
    open_and_wait(app, desktop, window, "DEMO-I2-ITEMS")
    window.show_tab(window.request.preview)
    settle(app, lambda: window.request.preview.fields.rowCount() > 0 and not desktop.db.busy)
    camera.shoot("redaction-preview")
    focus_and_palettes(app, camera, desktop, window)
    sign_and_show_menu(app, camera, desktop, window)
    open_and_wait(app, desktop, window, LETTER_REQUEST)
    letter = window.request.letter
    window.show_tab(letter)
    settle(app, lambda: not desktop.db.busy)
    if letter.pdf is None:
        answer_input_dialog(demo_passphrase("rita"))          # issuing signs the PDF: the passphrase again
        letter.on_issue_clicked()
    settle(app, lambda: letter.pdf is not None and not desktop.db.busy)
    camera.shoot("letter-preview")
    help_windows(app, camera, window)
    assert desktop.lock is not None
    desktop.lock.lock()
    desktop.lock.screen.move(300, 250)
    camera.shoot("lock")
    desktop.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
