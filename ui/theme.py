"""The three palettes the application offers — light, dark and high contrast — with every colour pair a user has
to tell apart at WCAG 2.x AA contrast: text 4.5:1 against its background (placeholders and selected rows
included), the focus ring, control boundaries, the selected row and the redaction bar 3:1 against what is
beside them (tests/test_gui_contrast.py computes each ratio).

Which palette: the user's choice (View › High contrast, kept per user by the service) or, until the user chose,
the desktop's wish where Qt reports it (`QStyleHints.accessibility().contrastPreference()`, `colorScheme()`).
The palette goes to the whole application together with `ui.style.AccessibleStyle`, which draws the focus
ring, boundaries and the selected tab from the same colours.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette

LIGHT, DARK, HIGH_CONTRAST = "light", "dark", "high-contrast"
HIGH_CONTRAST_PREFERENCE = "high_contrast"     # the user's choice, kept by the service (None: follow the desktop)


@dataclass(frozen=True, slots=True)
class Theme:
    name: str
    window: str                 # dialogs, tab pages, the status bar
    window_text: str
    base: str                   # fields, tables, lists
    alternate_base: str         # every other table row
    text: str
    button: str
    button_text: str
    highlight: str              # the selected row, the current menu entry
    highlighted_text: str
    placeholder: str            # a field's hint while it is empty
    link: str
    tooltip_base: str
    tooltip_text: str
    disabled_text: str          # exempt from contrast minimums (WCAG 1.4.3), still kept readable
    focus: str                  # the focus ring
    boundary: str               # the edge of a field, a button, a check box, a scroll bar's handle
    redaction_bar: str          # a withheld element in the redaction preview
    redaction_text: str         # its withholding label

    def color(self, name: str) -> QColor:
        return QColor(getattr(self, name))

    def palette(self) -> QPalette:
        p = QPalette()
        roles = {QPalette.ColorRole.Window: self.window, QPalette.ColorRole.WindowText: self.window_text,
                 QPalette.ColorRole.Base: self.base, QPalette.ColorRole.AlternateBase: self.alternate_base,
                 QPalette.ColorRole.Text: self.text, QPalette.ColorRole.Button: self.button,
                 QPalette.ColorRole.ButtonText: self.button_text, QPalette.ColorRole.Highlight: self.highlight,
                 QPalette.ColorRole.HighlightedText: self.highlighted_text,
                 QPalette.ColorRole.PlaceholderText: self.placeholder, QPalette.ColorRole.Link: self.link,
                 QPalette.ColorRole.LinkVisited: self.link, QPalette.ColorRole.ToolTipBase: self.tooltip_base,
                 QPalette.ColorRole.ToolTipText: self.tooltip_text, QPalette.ColorRole.BrightText: self.base,
                 QPalette.ColorRole.Light: self.base, QPalette.ColorRole.Midlight: self.button,
                 QPalette.ColorRole.Mid: self.boundary, QPalette.ColorRole.Dark: self.boundary,
                 QPalette.ColorRole.Shadow: self.boundary}
        for role, value in roles.items():
            p.setColor(role, QColor(value))
        disabled = QPalette.ColorGroup.Disabled
        for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
            p.setColor(disabled, role, QColor(self.disabled_text))
        p.setColor(disabled, QPalette.ColorRole.Highlight, QColor(self.highlight))
        p.setColor(disabled, QPalette.ColorRole.HighlightedText, QColor(self.highlighted_text))
        # a window in the background keeps its selection colours (Qt would fade them)
        for role in (QPalette.ColorRole.Highlight, QPalette.ColorRole.HighlightedText):
            p.setColor(QPalette.ColorGroup.Inactive, role, QColor(getattr(self, _ATTR[role])))
        return p


_ATTR = {QPalette.ColorRole.Highlight: "highlight", QPalette.ColorRole.HighlightedText: "highlighted_text"}

THEMES: dict[str, Theme] = {
    LIGHT: Theme(LIGHT, window="#efefef", window_text="#000000", base="#ffffff", alternate_base="#f5f5f5",
                 text="#000000", button="#efefef", button_text="#000000", highlight="#1a5fb4",
                 highlighted_text="#ffffff", placeholder="#6b6b6b", link="#0b57d0", tooltip_base="#ffffdc",
                 tooltip_text="#000000", disabled_text="#7a7a7a", focus="#1a5fb4", boundary="#767676",
                 redaction_bar="#000000", redaction_text="#ffffff"),
    DARK: Theme(DARK, window="#2b2b2b", window_text="#f0f0f0", base="#1e1e1e", alternate_base="#262626",
                text="#f0f0f0", button="#353535", button_text="#f0f0f0", highlight="#8ab4f8",
                highlighted_text="#000000", placeholder="#a0a0a0", link="#8ab4f8", tooltip_base="#3c3c3c",
                tooltip_text="#f0f0f0", disabled_text="#8a8a8a", focus="#ffd75f", boundary="#8c8c8c",
                redaction_bar="#d9d9d9", redaction_text="#000000"),
    HIGH_CONTRAST: Theme(HIGH_CONTRAST, window="#000000", window_text="#ffffff", base="#000000",
                         alternate_base="#000000", text="#ffffff", button="#000000", button_text="#ffffff",
                         highlight="#ffff00", highlighted_text="#000000", placeholder="#c0c0c0", link="#ffff00",
                         tooltip_base="#000000", tooltip_text="#ffffff", disabled_text="#a0a0a0", focus="#00ffff",
                         boundary="#ffffff", redaction_bar="#ffffff", redaction_text="#000000"),
}


# --- WCAG 2.x contrast ---------------------------------------------------------------------------------
def luminance(color: QColor | str) -> float:
    """Relative luminance (WCAG 2.x, sRGB)."""
    c = QColor(color)

    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())


def contrast(a: QColor | str, b: QColor | str) -> float:
    """The WCAG contrast ratio of two colours, 1.0 to 21.0."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def most_visible(background: QColor, *candidates: QColor | str) -> QColor:
    """Of `candidates`, the colour that stands out most against `background`."""
    return max((QColor(c) for c in candidates), key=lambda c: contrast(c, background))


# --- which theme ------------------------------------------------------------------------------------
def desktop_wants() -> tuple[bool, bool]:
    """(high contrast, dark) as the desktop reports them to Qt (False where it reports nothing)."""
    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication):
        return False, False
    hints = QGuiApplication.styleHints()
    high = False
    accessibility = getattr(hints, "accessibility", None)        # Qt 6.10+
    if accessibility is not None:
        high = accessibility().contrastPreference() == Qt.ContrastPreference.HighContrast
    return high, hints.colorScheme() == Qt.ColorScheme.Dark


def choose(high_contrast: bool | None, desktop_high: bool, desktop_dark: bool) -> str:
    """The theme's name: the user's high-contrast choice when made, else what the desktop asks for."""
    if high_contrast if high_contrast is not None else desktop_high:
        return HIGH_CONTRAST
    return DARK if desktop_dark else LIGHT
