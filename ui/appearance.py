"""The palette in use and how it is chosen: `apply(name)` puts a theme on the whole application (its palette and
`AccessibleStyle`, which draws the focus ring); `Appearance` chooses the theme from the user's high-contrast
choice (View › High contrast, kept by the service per user) or, until the user chose, from the desktop's
settings, and follows the desktop when they change."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from .style import AccessibleStyle, FocusRing
from .theme import HIGH_CONTRAST, LIGHT, THEMES, Theme, choose, desktop_wants

_current: Theme = THEMES[LIGHT]
_ring: FocusRing | None = None


def current() -> Theme:
    return _current


def apply(name: str) -> Theme:
    """Use the theme `name` everywhere (every open window repaints)."""
    global _current, _ring
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        raise RuntimeError("apply() needs the QApplication")
    theme = THEMES[name]
    style = app.style()
    if isinstance(style, AccessibleStyle):
        style.theme = theme
    else:
        app.setStyle(AccessibleStyle(theme))
    app.setPalette(theme.palette())
    if _ring is None:
        _ring = FocusRing(app)
    _current = theme
    return theme


class Appearance(QObject):
    changed = Signal(str)                  # the theme's name

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.preference: bool | None = None        # the user's high-contrast choice; None: follow the desktop
        hints = QGuiApplication.styleHints()
        hints.colorSchemeChanged.connect(self.refresh)
        accessibility = getattr(hints, "accessibility", None)         # Qt 6.10+
        if accessibility is not None:
            accessibility().contrastPreferenceChanged.connect(self.refresh)
        self.refresh(force=True)

    @property
    def high_contrast(self) -> bool:
        return current().name == HIGH_CONTRAST

    def refresh(self, *_args: object, force: bool = False) -> None:
        name = choose(self.preference, *desktop_wants())
        if force or name != current().name:
            apply(name)
            self.changed.emit(name)

    def set_preference(self, high_contrast: bool | None) -> None:
        self.preference = high_contrast
        self.refresh()
