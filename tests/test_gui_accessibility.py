"""Issue 22, items 1 and 2: every window and dialog read as a screen reader reads it (the QAccessibleInterface
tree Qt gives to AT-SPI: no unnamed control, no label whose text hides behind a fixed name, no table that keeps
Tab), its focus seen on every control (the pixels around it change by 3:1 or more), and what changes announced.
tests/test_atspi.py reads the same windows through the real AT-SPI bus."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from a11yhelp import focus_unseen, problems
from guihelp import (  # noqa: F401
    GUI_MARKS,
    WAIT_MS,
    DemoTemplate,
    demo_template_fixture,
    desktop_fixture,
    open_request,
    unlock,
    wait_idle,
)
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QApplication, QStyle

from ui.a11y import announcements
from ui.app import DesktopApp
from workstation.demo_store import demo_passphrase
from workstation.service import Workstation

pytestmark = GUI_MARKS
LETTER_REQUEST = "DEMO-I2-PARTIAL"


@pytest.fixture(scope="module")
def issued_template(demo_template: DemoTemplate, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store with a partial grant signed (rita), approved (alex) and its letter issued (rita)."""
    path = tmp_path_factory.mktemp("issued") / "store"
    shutil.copytree(demo_template.path, path)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DWS_NO_KEYRING", "1")
        store = Workstation(path)
        with store.unlock("rita", demo_passphrase("rita")) as s:
            s.decide(LETTER_REQUEST, "partial", None, demo_passphrase("rita"))
        with store.unlock("alex", demo_passphrase("alex")) as s:
            s.approve(LETTER_REQUEST, demo_passphrase("alex"))
        with store.unlock("rita", demo_passphrase("rita")) as s:
            s.issue_letter(LETTER_REQUEST, demo_passphrase("rita"))
    return path


@pytest.fixture(name="store")
def issued_store(issued_template: Path, tmp_path: Path) -> Workstation:
    shutil.copytree(issued_template, tmp_path / "store")
    return Workstation(tmp_path / "store")


@pytest.fixture(name="heard")
def heard_fixture() -> list[tuple[str, bool]]:
    """Every announcement made during the test: (text, assertive)."""
    heard: list[tuple[str, bool]] = []

    def hear(text: str, assertive: bool) -> None:
        heard.append((text, assertive))

    announcements.announced.connect(hear)
    yield heard
    announcements.announced.disconnect(hear)


def test_the_unlock_dialog_and_every_tab_read_as_a_screen_reader_reads_them(qtbot, desktop: DesktopApp) -> None:
    desktop.start()
    dialog = desktop.unlock_dialog
    qtbot.waitExposed(dialog)
    dialog._ack.click()
    assert problems(dialog) == []
    assert focus_unseen(dialog) == []
    banner = QAccessible.queryAccessibleInterface(dialog.findChild(type(dialog.error), "banner"))
    assert "Federal Tax Information" in banner.text(QAccessible.Text.Name)
    dialog._ack.click()                                 # as it was: unlock() acknowledges the notice itself
    window = unlock(qtbot, desktop, "rita")
    open_request(qtbot, window, LETTER_REQUEST)
    assert focus_unseen(window, window.queue) == []
    tabs = window.request.tabs
    for i in range(tabs.count()):
        window.show_tab(tabs.widget(i))
        wait_idle(qtbot, desktop.db)
        assert problems(window) == [], tabs.tabText(i)
        assert focus_unseen(window, tabs) == [], tabs.tabText(i)
    status = {QAccessible.queryAccessibleInterface(label).text(QAccessible.Text.Name)
              for label in (window.status.user, window.status.lock_timer, window.status.log)}
    assert {"User: rita (reviewer)"} <= status and any(s.startswith("Locks in ") for s in status)
    values = window.request.overview.values
    assert QAccessible.queryAccessibleInterface(values["Recommendation"]).text(QAccessible.Text.Name) \
        == "Recommendation: " + values["Recommendation"].text()


def test_the_letter_text_is_beside_its_pages_and_copies_only_through_the_guard(qtbot, desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "rita")
    open_request(qtbot, window, LETTER_REQUEST)
    letter = window.request.letter
    window.show_tab(letter)
    qtbot.waitUntil(lambda: "Dear" in letter.text.toPlainText(), timeout=WAIT_MS)
    text = letter.text.toPlainText()
    assert f"Your request {LETTER_REQUEST}" in text and "Use restriction" in text
    iface = QAccessible.queryAccessibleInterface(letter.text)
    assert iface.text(QAccessible.Text.Name) == "Letter text" and iface.textInterface() is not None
    assert "Dear" in iface.textInterface().text(0, iface.textInterface().characterCount())
    letter.text.setFocus()
    letter.text.selectAll()
    qtbot.keyClick(letter.text, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert desktop.clipboard.holds_sensitive                    # cleared when the screen locks
    assert letter.text.createMimeDataFromSelection().formats() == []


def test_dialogs_read_as_a_screen_reader_reads_them(qtbot, desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "cora")
    for show in (window.show_orders, window.show_settings, window.show_accounting, window.show_verify,
                 window.show_guide, window.show_about):
        dialog = show()
        qtbot.waitExposed(dialog)
        wait_idle(qtbot, desktop.db)
        assert dialog.windowTitle() and QAccessible.queryAccessibleInterface(dialog).text(QAccessible.Text.Name)
        assert problems(dialog) == [], dialog.windowTitle()
        assert focus_unseen(dialog) == [], dialog.windowTitle()
        if show == window.show_about:                   # and its second tab, the cryptography report
            dialog.tabs.setCurrentIndex(1)
            qtbot.waitUntil(lambda d=dialog: d.crypto.modules.rowCount() > 0)
            assert problems(dialog) == [] and focus_unseen(dialog) == [], "About › Cryptography"
        dialog.close()


def test_a_wrong_passphrase_is_announced_and_read_again_with_the_field(qtbot, desktop: DesktopApp,
                                                                        heard: list[tuple[str, bool]]) -> None:
    desktop.start()
    dialog = desktop.unlock_dialog
    qtbot.waitExposed(dialog)
    dialog._ack.click()
    qtbot.keyClicks(dialog._user, "rita")
    qtbot.keyClicks(dialog._passphrase, "not the passphrase")
    qtbot.keyClick(dialog._passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "passphrase" in dialog.error.text().lower() and not dialog._working, timeout=WAIT_MS)
    message = dialog.error.text()
    assert ("Unlock status: " + " ".join(message.split()), True) in heard
    assert dialog._passphrase.accessibleDescription() == message


def test_opening_a_request_moves_the_focus_to_it_and_announces_it(qtbot, desktop: DesktopApp,
                                                                   heard: list[tuple[str, bool]]) -> None:
    window = unlock(qtbot, desktop, "rita")
    window.activateWindow()
    window.queue.select("DEMO-I2-VALID")
    window.queue.view.setFocus()
    with qtbot.waitSignal(window.request.request_loaded, timeout=WAIT_MS):
        qtbot.keyClick(window.queue.view, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is window.request.overview.values["Request"]
    assert any(text.startswith("Request DEMO-I2-VALID open. Recommendation: grant") for text, _ in heard)
    heard.clear()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert window.request.tabs.currentWidget() is window.request.checks
    assert ("Checks tab", False) in heard
    preview = window.request.preview                 # an override that changes the recommendation: announced
    window.show_tab(preview)
    qtbot.waitUntil(lambda: preview.fields.rowCount() > 0, timeout=WAIT_MS)
    preview.every_subject.setChecked(True)
    with qtbot.waitSignal(window.request.request_loaded, timeout=WAIT_MS):
        preview.request_override("withhold", "address", "Withheld while the address is checked again")
    wait_idle(qtbot, desktop.db)
    now = window.request.overview.values["Recommendation"].text()
    assert now != "grant" and (f"Recommendation now: {now}.", False) in heard


def test_the_lock_screen_is_a_window_with_a_title_and_says_what_went_wrong(qtbot, desktop: DesktopApp,
                                                                          heard: list[tuple[str, bool]]) -> None:
    unlock(qtbot, desktop, "rita")
    assert desktop.lock is not None
    desktop.lock.lock()
    screen = desktop.lock.screen
    qtbot.waitExposed(screen)
    iface = QAccessible.queryAccessibleInterface(screen)
    assert iface.role() == QAccessible.Role.Window                # AT-SPI "frame", not "filler"
    assert iface.text(QAccessible.Text.Name) == "Disclosure Workstation — Locked" == screen.windowTitle()
    assert problems(screen) == []
    assert focus_unseen(screen) == []
    qtbot.keyClicks(screen.passphrase, "wrong")
    qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.error.text() not in ("", "Checking…"), timeout=WAIT_MS)
    assert any(assertive and text.startswith("Unlock status: ") for text, assertive in heard)
    assert screen.passphrase.accessibleDescription() == screen.error.text()
    screen.passphrase.setText(demo_passphrase("rita"))
    screen.on_unlock_clicked()
    qtbot.waitUntil(lambda: not desktop.lock.is_locked, timeout=WAIT_MS)


@pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)")
def test_a_disabled_command_says_why_to_the_keyboard_and_the_screen_reader(qtbot, desktop: DesktopApp,
                                                                         heard: list[tuple[str, bool]]) -> None:
    window = unlock(qtbot, desktop, "rita")
    assert QApplication.style().styleHint(QStyle.StyleHint.SH_Menu_AllowActiveAndDisabled)   # arrows reach it
    users = window.users_action
    assert not users.isEnabled()
    [tools] = [a.menu() for a in window.menuBar().actions() if a.text() == "&Tools"]
    tools.popup(window.mapToGlobal(window.rect().center()))
    qtbot.waitExposed(tools)
    for _ in range(len(tools.actions())):       # down the menu with the arrow key: it stops on Users…
        qtbot.keyClick(tools, Qt.Key.Key_Down)
        if tools.activeAction() is users:
            break
    assert tools.activeAction() is users        # highlighted: its status tip goes to the status bar
    assert window.status.currentMessage().startswith("Not available: ")
    assert (window.status.currentMessage(), False) in heard
    assert window.status.accessibleDescription() == window.status.currentMessage()
    tools.hide()
    sign = window.request.decision.sign
    assert not sign.isEnabled() and sign.accessibleDescription().startswith("Not available: ")
    button = window.toolbar.widgetForAction(window.request.commands["approve"])      # the toolbar's, too
    described = QAccessible.queryAccessibleInterface(button).text(QAccessible.Text.Description)
    assert not button.isEnabled() and described.startswith("Not available: ")



def test_the_signing_dialog_and_the_shortcuts_read_as_a_screen_reader_reads_them(qtbot, desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "rita")
    open_request(qtbot, window, "DEMO-I2-VALID")
    decision = window.request.decision
    window.show_tab(decision)
    decision.on_sign_clicked()
    qtbot.waitUntil(lambda: decision.dialog is not None, timeout=WAIT_MS)
    dialog = decision.dialog
    qtbot.waitExposed(dialog)
    dialog.passphrase.setText("x")                   # Sign enabled, so that its focus is checked too
    assert problems(dialog) == []
    assert focus_unseen(dialog) == []
    dialog.reject()
    window.show_shortcuts()
    [shortcuts] = [w for w in QApplication.topLevelWidgets() if w.windowTitle() == "Keyboard shortcuts"]
    qtbot.waitExposed(shortcuts)
    assert problems(shortcuts) == []
    assert focus_unseen(shortcuts) == []
    shortcuts.close()


def test_the_users_dialog_reads_as_a_screen_reader_reads_it(qtbot, desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "admin")
    dialog = window.show_users()
    qtbot.waitExposed(dialog)
    wait_idle(qtbot, desktop.db)
    dialog.on_card.setChecked(True)                  # the card's fields shown as well
    assert problems(dialog) == []
    assert focus_unseen(dialog) == []


def test_the_idle_lock_warns_before_it_locks(qtbot, desktop: DesktopApp, heard: list[tuple[str, bool]]) -> None:
    """WCAG 2.2.1: warned 30 seconds before, and any key stays (the lock's own tests show a key resets it)."""
    window = unlock(qtbot, desktop, "rita")
    window.status.on_lock_remaining_changed(31)
    assert not any("locks in" in text for text, _ in heard)
    window.status.on_lock_remaining_changed(30)
    assert ("The workstation locks in 30 seconds: press any key to stay.", False) in heard
