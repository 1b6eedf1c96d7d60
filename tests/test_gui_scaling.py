"""Issue 22, item 3: the layout holds at 200 % scaling and with text twice as large. At QT_SCALE_FACTOR=2 a
1920×1080 screen offers 960×540 device-independent pixels: every window's layout must fit in that (its minimum
size), and a window opens no larger than the screen. With the desktop's font twice as large (WCAG 1.4.4), every
window must still fit a 1920×1080 screen at 100 %."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from guihelp import (  # noqa: F401
    GUI_MARKS,
    WAIT_MS,
    Desktops,
    demo_template_fixture,
    desktops_fixture,
    open_request,
    store_fixture,
    unlock,
    wait_idle,
)
from PySide6.QtCore import QSize
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QWidget

from ui.main_window import MainWindow

pytestmark = GUI_MARKS
AT_200_PERCENT = QSize(960, 540)
FULL_HD = QSize(1920, 1080)


def _fits(size: QSize, room: QSize) -> bool:
    return size.width() <= room.width() and size.height() <= room.height()


def windows(qtbot, desktops: Desktops) -> Iterator[tuple[str, QWidget]]:  # type: ignore[no-untyped-def]
    """Every window and dialog, shown in turn (the request on each of its tabs)."""
    desktop = desktops.start()
    desktop.start()
    yield "unlock", desktop.unlock_dialog
    desktop.unlock_dialog.hide()
    window = unlock(qtbot, desktop, "admin")
    yield "users", window.show_users()
    desktops.quit(desktop)
    desktop = desktops.start()
    window = unlock(qtbot, desktop, "cora")
    open_request(qtbot, window, "DEMO-I2-ITEMS")
    for i in range(window.request.tabs.count()):
        window.show_tab(window.request.tabs.widget(i))
        wait_idle(qtbot, desktop.db)
        yield f"main window, tab {window.request.tabs.tabText(i)}", window
    shows: list[Callable[[], QWidget]] = [window.show_orders, window.show_settings, window.show_accounting,
                                          window.show_verify, window.show_guide, window.show_about]
    for show in shows:
        dialog = show()
        wait_idle(qtbot, desktop.db)
        yield dialog.windowTitle(), dialog
        dialog.close()
    assert desktop.lock is not None
    desktop.lock.lock()
    yield "lock screen", desktop.lock.screen
    desktop.lock.screen.hide()


def _minimum(window: QWidget) -> QSize:
    QApplication.processEvents()
    if isinstance(window, MainWindow):      # a tab widget's minimum follows the tab shown
        window.request.tabs.currentWidget().updateGeometry()
    return window.minimumSizeHint().expandedTo(window.minimumSize())


def test_every_window_fits_a_full_hd_screen_at_200_percent(qtbot, desktops: Desktops) -> None:
    screen = QApplication.primaryScreen().availableGeometry().size()
    too_big = []
    for name, window in windows(qtbot, desktops):
        if not _fits(_minimum(window), AT_200_PERCENT):
            too_big.append(f"{name}: needs {_minimum(window).toTuple()}")
        if not _fits(window.size(), screen):
            too_big.append(f"{name}: opens at {window.size().toTuple()} on a {screen.toTuple()} screen")
    assert too_big == []


@pytest.fixture(name="large_font")
def large_font_fixture(qapp: QApplication) -> Iterator[QFont]:
    normal = QFont(QApplication.font())
    large = QFont(normal)
    large.setPointSizeF(normal.pointSizeF() * 2)
    QApplication.setFont(large)
    yield large
    QApplication.setFont(normal)


def test_every_window_fits_with_text_twice_as_large(qtbot, desktops: Desktops, large_font: QFont) -> None:
    too_big = [f"{name}: needs {_minimum(window).toTuple()}" for name, window in windows(qtbot, desktops)
               if not _fits(_minimum(window), FULL_HD)]
    assert too_big == []
