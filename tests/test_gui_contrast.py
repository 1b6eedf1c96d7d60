"""Issue 22, item 3: the palettes the application uses meet WCAG 2.x AA — text 4.5:1, the focus ring, control
edges, the selected row and tab and the redaction bar 3:1 — in the light, dark and high-contrast themes; the
style really draws them (measured in pixels); View › High contrast is remembered per user and, until the user
chooses, the desktop's wish is followed; the focus shows in every theme."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from a11yhelp import focus_unseen
from guihelp import (  # noqa: F401
    GUI_MARKS,
    WAIT_MS,
    Desktops,
    demo_template_fixture,
    desktop_fixture,
    desktops_fixture,
    open_request,
    store_fixture,
    unlock,
    wait_idle,
)
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QCheckBox, QLineEdit, QVBoxLayout, QWidget

from ui import appearance
from ui.app import DesktopApp
from ui.theme import DARK, HIGH_CONTRAST, LIGHT, THEMES, Theme, choose, contrast

pytestmark = GUI_MARKS
TEXT, NON_TEXT = 4.5, 3.0

# (foreground, background, minimum): every pair a user must tell apart
PAIRS = (
    ("window_text", "window", TEXT), ("text", "base", TEXT), ("text", "alternate_base", TEXT),
    ("button_text", "button", TEXT), ("highlighted_text", "highlight", TEXT), ("placeholder", "base", TEXT),
    ("link", "base", TEXT), ("tooltip_text", "tooltip_base", TEXT), ("redaction_text", "redaction_bar", TEXT),
    ("window_text", "button", TEXT),
    ("focus", "window", NON_TEXT), ("focus", "base", NON_TEXT), ("focus", "button", NON_TEXT),
    ("boundary", "window", NON_TEXT), ("boundary", "base", NON_TEXT), ("boundary", "button", NON_TEXT),
    ("highlight", "base", NON_TEXT), ("highlight", "alternate_base", NON_TEXT), ("highlight", "window", NON_TEXT),
    ("redaction_bar", "base", NON_TEXT), ("redaction_bar", "alternate_base", NON_TEXT),
)
ROLES = {"window": QPalette.ColorRole.Window, "window_text": QPalette.ColorRole.WindowText,
         "base": QPalette.ColorRole.Base, "alternate_base": QPalette.ColorRole.AlternateBase,
         "text": QPalette.ColorRole.Text, "button": QPalette.ColorRole.Button,
         "button_text": QPalette.ColorRole.ButtonText, "highlight": QPalette.ColorRole.Highlight,
         "highlighted_text": QPalette.ColorRole.HighlightedText, "placeholder": QPalette.ColorRole.PlaceholderText,
         "link": QPalette.ColorRole.Link, "tooltip_base": QPalette.ColorRole.ToolTipBase,
         "tooltip_text": QPalette.ColorRole.ToolTipText}


@pytest.fixture(name="themed")
def themed_fixture(qapp: QApplication) -> Iterator[None]:
    yield
    appearance.apply(LIGHT)


def test_every_theme_meets_wcag_aa(themed: None, qapp: QApplication) -> None:
    low = [f"{t.name}: {fg} on {bg} {contrast(getattr(t, fg), getattr(t, bg)):.2f}:1 < {need}"
           for t in THEMES.values() for fg, bg, need in PAIRS if contrast(getattr(t, fg), getattr(t, bg)) < need]
    assert low == []
    for theme in THEMES.values():                 # and that is the palette the application then really uses
        appearance.apply(theme.name)
        palette = QApplication.palette()
        for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
            used = {name: palette.color(group, role).name() for name, role in ROLES.items()}
            assert used == {name: getattr(theme, name) for name in ROLES}, (theme.name, group)


def test_the_application_starts_with_a_palette_that_meets_wcag_aa(qtbot, desktop: DesktopApp) -> None:
    """What the window really paints with (today's Fusion default: white on #308cc6 is 3.69:1)."""
    window = unlock(qtbot, desktop, "rita")
    palette = window.request.tabs.palette()
    assert contrast(palette.color(QPalette.ColorRole.HighlightedText), palette.color(QPalette.ColorRole.Highlight)) \
        >= TEXT
    assert contrast(palette.color(QPalette.ColorRole.PlaceholderText), palette.color(QPalette.ColorRole.Base)) >= TEXT
    assert contrast(palette.color(QPalette.ColorRole.Highlight), palette.color(QPalette.ColorRole.Base)) >= NON_TEXT


def _pixel(widget: QWidget, x: int, y: int) -> QColor:
    return QColor(widget.grab().toImage().pixel(x, y))


@pytest.mark.parametrize("name", [LIGHT, DARK, HIGH_CONTRAST])
def test_fields_and_check_boxes_show_their_edges_at_3_to_1(qtbot, themed: None, name: str) -> None:
    theme: Theme = appearance.apply(name)
    host = QWidget()
    qtbot.addWidget(host)
    field, box = QLineEdit(), QCheckBox("A choice")
    layout = QVBoxLayout(host)
    layout.addWidget(field)
    layout.addWidget(box)
    host.show()
    qtbot.waitExposed(host)
    at = field.mapTo(host, QPoint(0, field.height() // 2))
    edges = [_pixel(host, at.x() + dx, at.y()) for dx in range(3)]
    assert max(contrast(c, theme.window) for c in edges) >= NON_TEXT, [c.name() for c in edges]
    edge = box.mapTo(host, QPoint(0, box.height() // 2))          # the indicator's left edge
    assert max(contrast(_pixel(host, edge.x() + dx, edge.y()), theme.window) for dx in range(4)) >= NON_TEXT


def test_redaction_bars_stand_out_in_every_theme(qtbot, desktop: DesktopApp, themed: None) -> None:
    window = unlock(qtbot, desktop, "rita")
    open_request(qtbot, window, "DEMO-I2-ITEMS")
    preview = window.request.preview
    window.show_tab(preview)
    qtbot.waitUntil(lambda: preview.fields.rowCount() > 0, timeout=WAIT_MS)
    withheld = [r for r in range(preview.fields.rowCount()) if not preview.fields.row_at(r).released]
    assert withheld, "the request has a withheld element"
    index = preview.fields.index(withheld[0], 1)
    for name in (LIGHT, DARK, HIGH_CONTRAST):
        theme = appearance.apply(name)
        bar = QColor(index.data(Qt.ItemDataRole.BackgroundRole))
        label = QColor(index.data(Qt.ItemDataRole.ForegroundRole))
        assert contrast(bar, theme.base) >= NON_TEXT and contrast(bar, theme.alternate_base) >= NON_TEXT, name
        assert contrast(label, bar) >= TEXT, name
        rect = preview.view.visualRect(index)
        painted = QColor(preview.view.viewport().grab().toImage().pixel(rect.right() - 2, rect.center().y()))
        assert painted == bar, name


@pytest.mark.parametrize("name", [DARK, HIGH_CONTRAST])
def test_the_focus_shows_in_the_dark_and_high_contrast_themes(qtbot, desktop: DesktopApp, themed: None,
                                                               name: str) -> None:
    window = unlock(qtbot, desktop, "rita")
    open_request(qtbot, window, "DEMO-I2-ITEMS")
    appearance.apply(name)
    for tab in (window.request.preview, window.request.decision):
        window.show_tab(tab)
        wait_idle(qtbot, desktop.db)
        assert focus_unseen(window, tab) == [], (name, tab)
    assert focus_unseen(window, window.queue) == [], name


def test_the_theme_follows_the_desktop_until_the_user_chooses(monkeypatch: pytest.MonkeyPatch) -> None:
    assert choose(None, False, False) == LIGHT
    assert choose(None, False, True) == DARK
    assert choose(None, True, False) == HIGH_CONTRAST == choose(None, True, True)
    assert choose(True, False, False) == HIGH_CONTRAST
    assert choose(False, True, True) == DARK                 # the user turned high contrast off
    assert choose(False, True, False) == LIGHT


def test_a_desktop_change_reaches_the_open_windows(qtbot, desktop: DesktopApp, themed: None,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    window = unlock(qtbot, desktop, "rita")
    assert appearance.current().name == LIGHT and not window.high_contrast_action.isChecked()
    hints = QGuiApplication.styleHints()
    monkeypatch.setattr(appearance, "desktop_wants", lambda: (False, True))      # the desktop turned dark
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert appearance.current().name == DARK
    qtbot.waitUntil(lambda: window.palette().color(QPalette.ColorRole.Window).name() == THEMES[DARK].window)
    monkeypatch.setattr(appearance, "desktop_wants", lambda: (True, True))       # and asked for high contrast
    hints.accessibility().contrastPreferenceChanged.emit(Qt.ContrastPreference.HighContrast)
    assert appearance.current().name == HIGH_CONTRAST and window.high_contrast_action.isChecked()


def test_high_contrast_is_remembered_for_each_user(qtbot, desktops: Desktops, themed: None) -> None:
    rita = desktops.start()
    window = unlock(qtbot, rita, "rita")
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.high_contrast_action.isChecked() and appearance.current().name == HIGH_CONTRAST
    assert window.status.currentMessage() == "High contrast on."
    wait_idle(qtbot, rita.db)
    desktops.quit(rita)
    alex = desktops.start()
    assert appearance.current().name == LIGHT            # before anyone unlocks: as the desktop asks
    window = unlock(qtbot, alex, "alex")
    assert appearance.current().name == LIGHT and not window.high_contrast_action.isChecked()
    desktops.quit(alex)
    again = desktops.start()
    window = unlock(qtbot, again, "rita")
    assert appearance.current().name == HIGH_CONTRAST and window.high_contrast_action.isChecked()
