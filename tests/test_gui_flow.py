"""End to end, all in the GUI, on the demo store: the reviewer finds a partial grant in the queue, reviews its
checks and redaction preview, signs a partial decision; the workstation is locked and quit; the approver
unlocks, approves, issues the letter, previews and saves it; Tools › Verify reports everything intact; the
saved letter verifies against the store (`Session.verify_letter`)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

from guihelp import (  # noqa: F401
    GUI_MARKS,
    WAIT_MS,
    Desktops,
    answer_passphrase,
    choose_file,
    demo_template_fixture,
    desktops_fixture,
    log_entries,
    message_boxes,
    store_fixture,
    unlock,
    wait_idle,
)
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMessageBox

from ui.app import DesktopApp
from ui.main_window import MainWindow
from workstation.demo_store import demo_passphrase
from workstation.service import Workstation

pytestmark = GUI_MARKS
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def sign_through_dialog(qtbot, desktop: DesktopApp, click: Callable[[], None], user: str) -> str:  # type: ignore[no-untyped-def]
    """Click Sign or Approve, answer the passphrase dialog; wait until the request is reloaded."""
    window = desktop.window
    assert window is not None
    answered: list[str] = []
    answer_passphrase(demo_passphrase(user), answered)
    with qtbot.waitSignal(window.request.request_loaded, timeout=WAIT_MS):    # reloaded once signed
        click()
    wait_idle(qtbot, desktop.db)
    assert len(answered) == 1
    return answered[0]


def focus(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """The main window active again after a modal dialog closed (as the window manager would make it), so
    that its keyboard shortcuts reach it."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)


def menu_action(window: MainWindow, menu: str, text: str) -> QAction:
    for top in window.menuBar().actions():
        if top.menu() is not None and top.text() == menu:
            for action in top.menu().actions():
                if action.text() == text:
                    return action
    raise AssertionError(f"no {menu} › {text} in the menu bar")


def open_from_queue(qtbot, window: MainWindow, request_id: str) -> None:  # type: ignore[no-untyped-def]
    """Select the request in the queue and press Enter."""
    assert window.queue.select(request_id)
    window.queue.view.setFocus()
    with qtbot.waitSignal(window.request.request_loaded, timeout=WAIT_MS):
        qtbot.keyClick(window.queue.view, Qt.Key.Key_Return)


def test_review_sign_approve_issue_and_verify_a_partial_grant(qtbot, store: Workstation, desktops: Desktops,
                                                               tmp_path: Path) -> None:
    saved = tmp_path / "letters" / "partial-grant.pdf"
    saved.parent.mkdir()

    # --- rita, reviewer: find a partial grant, review it, sign a partial decision ---------------------------
    desktop = desktops.start()
    window = unlock(qtbot, desktop, "rita")
    partial = [r for r in window.queue.model.rows() if r.recommendation == "partial" and r.status == "evaluated"]
    assert partial, "the demo store has requests recommended for a partial grant"
    rid = max(partial, key=lambda r: (r.subjects, r.request_id)).request_id      # the one with most subjects
    open_from_queue(qtbot, window, rid)
    view = window.request
    assert view.snapshot is not None and view.snapshot.evaluation.recommendation == "partial"
    released, withheld = view.snapshot.evaluation.releasable, view.snapshot.evaluation.withheld
    assert released > 0 and withheld > 0

    window.show_tab(view.checks)                                  # Checks: what is withheld, and why
    wait_idle(qtbot, desktop.db)
    failed = {c.code for c in view.checks.code_counts.rows() if c.count("fail") or c.count("block")}
    assert failed and view.checks.request_checks.rowCount() > 0

    window.show_tab(view.preview)                                 # Redaction preview of the first subject
    qtbot.waitUntil(lambda: view.preview.fields.rowCount() > 0, timeout=WAIT_MS)
    wait_idle(qtbot, desktop.db)
    shown = view.preview.fields.rows()
    assert any(f.released for f in shown) and any(not f.released for f in shown)   # released, and black bars

    decision = view.decision                                      # Decision: partial, as recommended
    window.show_tab(decision)
    assert decision.outcome.currentText() == "partial" and decision.sign.isEnabled()
    label = sign_through_dialog(qtbot, desktop, decision.sign.click, "rita")
    assert "Sign the decision" in label
    assert ": partial (recommendation was partial)" in decision.state.text()
    assert "needs a second signature" in decision.state.text() and "Prepared by rita" in decision.state.text()
    letter = view.letter                                          # no letter before the approval
    window.show_tab(letter)
    assert not letter.issue.isEnabled() and "approved" in letter.state.text()

    assert desktop.lock is not None                               # Ctrl+L locks; then quit
    focus(qtbot, window)
    with qtbot.waitSignal(desktop.lock.locked, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert desktop.lock.screen.isVisible() and not window.isVisible()
    desktops.quit(desktop)

    # --- alex, approver: approve, issue, preview and save the letter, verify everything -----------------------
    desktop = desktops.start()
    window = unlock(qtbot, desktop, "alex")
    open_from_queue(qtbot, window, rid)
    view = window.request
    decision = view.decision
    window.show_tab(decision)
    assert not decision.sign.isEnabled() and decision.approve.isEnabled()
    label = sign_through_dialog(qtbot, desktop, decision.approve.click, "alex")
    assert "Approve the decision" in label
    assert "Status: approved" in decision.state.text() and "Approved by alex" in decision.state.text()

    letter = view.letter
    window.show_tab(letter)
    wait_idle(qtbot, desktop.db)
    assert letter.issue.isEnabled()
    focus(qtbot, window)
    answered = []
    answer_passphrase(demo_passphrase("alex"), answered)                # the PDF is signed with alex's key
    with qtbot.waitSignal(letter.letter_loaded, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_I, CTRL_SHIFT)                 # Request › Issue letter
    assert answered == ["Sign the letter: enter your passphrase again."]
    pdf = letter.pdf
    assert pdf is not None and letter.document is not None
    assert letter.document.pageCount() == len(PdfReader(io.BytesIO(pdf)).pages)

    with qtbot.waitSignal(letter.output_recorded, timeout=WAIT_MS):     # Save As… through the file dialog
        letter.save.click()
        choose_file(qtbot, saved)
    assert saved.read_bytes() == pdf and f"Saved to {saved}" in letter.state.text()

    menu_action(window, "&Tools", "&Verify the log and signatures").trigger()
    wait_idle(qtbot, desktop.db)
    qtbot.waitUntil(lambda: any(b.windowTitle() == "Verification" for b in message_boxes()), timeout=WAIT_MS)
    box = next(b for b in message_boxes() if b.windowTitle() == "Verification")
    assert box.icon() == QMessageBox.Icon.Information
    found = re.search(r"Verified ([\d,]+) log entries, ([\d,]+) decisions and ([\d,]+) signatures: "
                      r"everything is intact\.", box.text())
    assert found, box.text()
    assert int(found.group(2)) >= 1 and int(found.group(3)) >= 2

    events = [(e, o) for e, o, _d in log_entries(qtbot, desktop.db) if o == rid]
    assert [e for e, _o in events if e.startswith(("decision-", "letter-"))] == [
        "decision-signed", "decision-approved", "letter-issued", "letter-saved"]
    desktops.quit(desktop)

    # --- the saved letter is the one the store issued, for a decision both signatures still vouch for ---------
    with store.unlock("otto", demo_passphrase("otto")) as auditor:
        check = auditor.verify_letter(saved.read_bytes(), str(saved))
        report = auditor.verify()
    assert check.ok, check.problems
    assert check.request_id == rid and check.file_sha256 == check.issued_sha256
    assert [(s.role, s.name, s.ok) for s in check.signatures] == [("preparer", "rita", True),
                                                                          ("approver", "alex", True)]
    assert report.ok

