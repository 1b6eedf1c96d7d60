"""Issue 18, item 9: each request command (Re-evaluate, Sign, Approve, Issue letter, Print, Save) is one QAction,
the same object in the Request menu, on the toolbar and behind the tab's button, enabled from what the service
says the signed-in user may do with the selected request, and saying why not in its tooltip, its status tip and
the button's accessible description. A disabled command's shortcut does nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from guihelp import (  # noqa: F401
    GUI_MARKS,
    WAIT_MS,
    DemoTemplate,
    copy_store,
    decided_copy,
    demo_template_fixture,
    desktop_fixture,
    log_entries,
    open_request,
    open_store,
    unlock,
    wait_idle,
)
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton, QApplication

from ui import letter_tab
from ui.app import DesktopApp
from ui.main_window import MainWindow
from ui.signing_dialog import SigningDialog
from workstation.service import Workstation

pytestmark = GUI_MARKS
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
NONE_YET = "DEMO-C-VALID"            # no decision
PENDING = "DEMO-I2-PARTIAL"          # partial grant signed by rita, awaiting the approval
APPROVED = "DEMO-I2-VALID"           # grant signed by rita, approved by alex
DENIED = "DEMO-I2-COURT-ORDER"       # denial signed by rita: final without a second signature
BUTTONS = {"decide": ("decision", "sign"), "approve": ("decision", "approve"), "issue": ("letter", "issue"),
           "print": ("letter", "print"), "save": ("letter", "save")}
MENU_TEXT = {"evaluate": "Re-&evaluate", "decide": "&Sign decision…", "approve": "&Approve decision…",
             "issue": "&Issue letter", "print": "&Print letter…", "save": "Sa&ve letter as…"}


@pytest.fixture(scope="module")
def decided_template(demo_template: DemoTemplate, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return decided_copy(demo_template, tmp_path_factory.mktemp("decided") / "store",
                        {PENDING: "partial", APPROVED: "grant", DENIED: "deny"}, [APPROVED])


@pytest.fixture(name="store")
def decided_store(decided_template: Path, tmp_path: Path) -> Workstation:
    return copy_store(decided_template, tmp_path)


def menu_action(window: MainWindow, key: str) -> QAction:
    [request] = [a.menu() for a in window.menuBar().actions() if a.text() == "&Request"]
    [action] = [a for a in request.actions() if a.text() == MENU_TEXT[key]]
    return action


def button(window: MainWindow, key: str) -> QAbstractButton:
    tab, name = BUTTONS[key]
    return getattr(getattr(window.request, tab), name)


def state(window: MainWindow, key: str) -> str | None:
    """The reason the command is disabled (None: enabled), after checking that the menu entry, the toolbar and
    the button are one action and show the same thing."""
    action = menu_action(window, key)
    assert action is window.request.commands[key] and action in window.toolbar.actions()
    tool = window.toolbar.widgetForAction(action)
    assert tool.isEnabled() == action.isEnabled() and tool.toolTip() == action.toolTip()
    if key in BUTTONS:
        pushed = button(window, key)
        assert pushed.isEnabled() == action.isEnabled()
        assert pushed.toolTip() == action.toolTip() == pushed.accessibleDescription()
    assert action.statusTip() == action.toolTip()
    if action.isEnabled():
        assert not action.toolTip().startswith("Not available")
        return None
    assert action.toolTip().startswith("Not available: ")
    return action.toolTip().removeprefix("Not available: ")


def show(qtbot, desktop: DesktopApp, request_id: str) -> MainWindow:  # type: ignore[no-untyped-def]
    window = desktop.window
    assert window is not None
    open_request(qtbot, window, request_id)
    wait_idle(qtbot, desktop.db)
    return window


def signed_since(qtbot, desktop: DesktopApp, before: list) -> list[str]:  # type: ignore[no-untyped-def]
    """The decision and letter events logged since `before` (the log as it was) was read."""
    return [e for e, _o, _d in log_entries(qtbot, desktop.db)[len(before):] if e.startswith(("decision", "letter"))]


def test_before_a_request_is_open_every_command_says_to_open_one(qtbot, desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "alex")
    for key in MENU_TEXT:
        assert state(window, key) == "open a request from the queue first"


def test_the_approver_sees_what_can_be_approved_and_issued(qtbot, desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "alex")
    show(qtbot, desktop, NONE_YET)
    assert state(window, "approve") == "no decision to approve yet: a reviewer decides first"
    assert state(window, "issue") == "no decision yet: a reviewer decides first"
    assert state(window, "decide") == "only a reviewer decides a request (you are approver)"
    assert state(window, "print") == state(window, "save") == "no letter has been issued yet"
    assert state(window, "evaluate") is None
    show(qtbot, desktop, PENDING)
    assert state(window, "approve") is None
    assert state(window, "issue") == "the decision needs its second approval first"
    show(qtbot, desktop, APPROVED)
    assert state(window, "approve") == "already approved by alex"
    assert state(window, "issue") is None
    show(qtbot, desktop, DENIED)                   # a denial needs no approval: its letter can be issued
    assert state(window, "issue") is None
    window.show_tab(window.request.letter)        # and the Shortcuts window lists why the others are not
    assert "Not available: only a reviewer decides" in menu_action(window, "decide").statusTip()


def test_the_reviewer_may_sign_but_not_approve_and_not_change_an_approved_decision(qtbot,
                                                                                  desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "rita")
    show(qtbot, desktop, PENDING)
    assert state(window, "decide") is None
    assert state(window, "approve") == "only an approver approves a decision (you are reviewer)"
    assert window.request.decision.outcome.isEnabled()
    show(qtbot, desktop, APPROVED)
    assert state(window, "decide") == "already decided (grant) and approved by alex"
    assert not window.request.decision.outcome.isEnabled()


def test_counsel_is_told_letters_are_not_theirs(qtbot, desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "cora")
    show(qtbot, desktop, APPROVED)
    refusal = "only an approver or reviewer user may issue, write or print letters (you are counsel)"
    assert state(window, "issue") == state(window, "print") == refusal


def test_the_preparer_may_not_approve_their_own_decision(qtbot, store: Workstation, desktop: DesktopApp) -> None:
    with open_store(store, "admin") as admin:      # rita becomes an approver after signing
        admin.conn.execute("UPDATE users SET role = 'approver' WHERE name = 'rita'")
    window = unlock(qtbot, desktop, "rita")
    show(qtbot, desktop, PENDING)
    assert state(window, "approve") == "you prepared this decision; a second officer approves it (two-person rule)"


def test_a_disabled_shortcut_does_nothing_and_an_enabled_one_asks(qtbot, desktop: DesktopApp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    asked: list[str] = []
    monkeypatch.setattr(letter_tab, "ask_passphrase", lambda _parent, what, *_a: asked.append(what))
    window = unlock(qtbot, desktop, "alex")
    before = log_entries(qtbot, desktop.db)
    show(qtbot, desktop, NONE_YET)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)
    for key in (Qt.Key.Key_A, Qt.Key.Key_I):                    # Approve, Issue letter: both disabled here
        qtbot.keyClick(window, key, CTRL_SHIFT)
    qtbot.wait(200)
    wait_idle(qtbot, desktop.db)
    assert asked == [] and window.request.decision.dialog is None
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, SigningDialog) and w.isVisible()]
    assert signed_since(qtbot, desktop, before) == []           # nothing asked, nothing signed

    show(qtbot, desktop, APPROVED)                               # Issue letter enabled: its shortcut asks
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_I, CTRL_SHIFT)
    qtbot.waitUntil(lambda: asked == ["Sign the letter"], timeout=WAIT_MS)
    assert window.request.tabs.currentWidget() is window.request.letter
    show(qtbot, desktop, PENDING)                                # Approve enabled: the signing dialog opens
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_A, CTRL_SHIFT)
    qtbot.waitUntil(lambda: window.request.decision.dialog is not None, timeout=WAIT_MS)
    dialog = window.request.decision.dialog
    assert dialog is not None and dialog.summary.request_id == PENDING
    dialog.reject()
    wait_idle(qtbot, desktop.db)
    assert signed_since(qtbot, desktop, before) == []
