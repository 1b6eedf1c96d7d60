"""Everything reachable from the keyboard: menus with accelerators, a shortcut on every action (shown in the
menu), no two shortcuts or mnemonics that collide, an accessible name on every control."""

from __future__ import annotations

import re
from collections import Counter

from guihelp import GUI_MARKS, demo_template_fixture, desktop_fixture, open_request, store_fixture, unlock  # noqa: F401
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from ui.app import DesktopApp
from ui.shortcuts_dialog import shortcut_rows

pytestmark = GUI_MARKS
CONTROLS = (QAbstractButton, QAbstractItemView, QComboBox, QLineEdit, QPlainTextEdit)


def mnemonic(text: str) -> str | None:
    found = re.search(r"&([^&])", text)
    return found.group(1).lower() if found else None


def visible_mnemonics(root: QWidget) -> list[str]:
    texts = [w.text() for w in root.findChildren(QAbstractButton) if w.isVisible()]
    texts += [w.text() for w in root.findChildren(QLabel) if w.isVisible() and w.buddy() is not None]
    return [m for m in map(mnemonic, texts) if m]


def test_every_menu_and_action_is_reachable_from_the_keyboard(qtbot, desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "rita")
    menus = [a for a in window.menuBar().actions() if a.menu() is not None]
    assert all(mnemonic(m.text()) for m in menus)
    rows = shortcut_rows(window.menuBar())
    enabled = [r for r in rows if "not available yet" not in r[1]]
    assert len(enabled) >= 25
    missing = [r[1] for r in enabled if not r[2]]
    assert missing == [], f"actions without a shortcut: {missing}"
    keys = Counter(r[2] for r in enabled)
    assert [k for k, n in keys.items() if n > 1] == []
    for menu in menus:
        letters = [mnemonic(a.text()) for a in menu.menu().actions() if not a.isSeparator()]
        assert len(letters) == len(set(letters)), f"menu {menu.text()}: two items share an accelerator"


def test_no_mnemonic_collides_on_any_tab_and_every_control_has_a_name(qtbot, desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "rita")
    open_request(qtbot, window, "DEMO-I2-VALID")
    menu_letters = [mnemonic(a.text()) for a in window.menuBar().actions()]
    tabs = window.request.tabs
    for i in range(tabs.count()):
        tabs.setCurrentIndex(i)
        qtbot.wait(10)
        letters = menu_letters + [mnemonic(tabs.tabText(j)) for j in range(tabs.count())]
        letters += visible_mnemonics(window.queue) + visible_mnemonics(tabs.currentWidget())
        clashes = [letter for letter, n in Counter(letters).items() if n > 1]
        assert clashes == [], f"tab {tabs.tabText(i)}: Alt+{clashes} is ambiguous"
        unnamed = [type(w).__name__ + ":" + getattr(w, "text", lambda: "")()
                   for w in window.findChildren(QWidget) if isinstance(w, CONTROLS) and w.isVisible()
                   and not isinstance(w, QHeaderView)
                   and not w.accessibleName()
                   and not (isinstance(w, QAbstractButton) and w.text())]
        assert unnamed == [], f"tab {tabs.tabText(i)}: controls without an accessible name: {unnamed}"


def _press(qtbot, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> QWidget:  # type: ignore[no-untyped-def]
    """Press a key where the focus is (as the keyboard does); the widget that has the focus afterwards."""
    widget = QApplication.focusWidget()
    assert widget is not None
    qtbot.keyClick(widget, key, modifiers)
    after = QApplication.focusWidget()
    assert after is not None
    return after


def test_tab_leaves_every_table_and_reaches_the_preview_buttons(qtbot, desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "rita")
    window.activateWindow()
    open_request(qtbot, window, "DEMO-I2-ITEMS")
    tabs = window.request.tabs
    for i in range(tabs.count()):
        window.show_tab(tabs.widget(i))
        views = [v for v in window.findChildren(QAbstractItemView) if v.isVisible()]
        for view in views:
            for key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
                view.setFocus(Qt.FocusReason.OtherFocusReason)
                assert _press(qtbot, key) is not view, f"{tabs.tabText(i)}: {view.accessibleName()} keeps {key}"
    preview = window.request.preview
    window.show_tab(preview)
    preview.view.setFocus()
    reached = [_press(qtbot, Qt.Key.Key_Tab) for _ in range(4)]
    assert reached[:3] == [preview.show_original, preview.release, preview.withhold]


def test_ctrl_tab_and_ctrl_page_keys_switch_tabs_and_focus_their_first_control(qtbot, desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "rita")
    window.activateWindow()
    open_request(qtbot, window, "DEMO-I2-VALID")
    tabs = window.request.tabs
    window.show_tab(window.request.overview)
    assert QApplication.focusWidget() is window.request.overview.values["Request"]
    ctrl, shift = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
    for key, modifiers, step in ((Qt.Key.Key_Tab, ctrl, 1), (Qt.Key.Key_PageDown, ctrl, 1),
                                 (Qt.Key.Key_Backtab, ctrl | shift, -1), (Qt.Key.Key_PageUp, ctrl, -1)):
        for _ in range(tabs.count()):
            before = tabs.currentIndex()
            focused = _press(qtbot, key, modifiers)
            assert tabs.currentIndex() == (before + step) % tabs.count()
            page = tabs.currentWidget()
            assert page.isAncestorOf(focused) and focused.isVisible() and focused is not page, \
                f"{tabs.tabText(tabs.currentIndex())}: the focus went to {type(focused).__name__}"
    decision = window.request.decision              # from inside a text box as well
    window.show_tab(decision)
    decision.justification.setFocus()
    _press(qtbot, Qt.Key.Key_Tab, ctrl)
    assert tabs.currentWidget() is window.request.letter


def test_the_queue_sorts_from_the_keyboard(qtbot, desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "rita")
    window.activateWindow()
    view = window.queue.view
    view.setFocus()
    view.setCurrentIndex(window.queue.proxy.index(0, 0))
    qtbot.keyClick(view, Qt.Key.Key_Right)                         # the Agency column
    header = view.horizontalHeader()
    first = []
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        qtbot.keyClick(view, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (1, order)
        first.append(window.queue.proxy.index(0, 1).data())
    assert first[0] != first[1]
