"""What a screen reader needs beyond names: things said aloud when they change (`announce`: an accessibility
announcement event, which AT-SPI passes to Orca as an announcement), and the control a keyboard user lands on
when a tab or a request comes to the front (`first_control`, `focus_first`).

Every announcement is also emitted by `announcements.announced`, so tests (and nothing else) can hear them
without a screen reader."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QGuiApplication
from PySide6.QtWidgets import QWidget


class Announcements(QObject):
    announced = Signal(str, bool)          # the text, assertive (interrupts) or polite (waits its turn)


announcements = Announcements()


def announce(source: QObject, text: str, *, assertive: bool = False) -> None:
    """Have the screen reader say `text` (which `source`, a widget on screen, shows or stands for)."""
    text = " ".join(text.split())
    if not text:
        return
    event = QAccessibleAnnouncementEvent(source, text)
    event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive if assertive
                        else QAccessible.AnnouncementPoliteness.Polite)
    QAccessible.updateAccessibility(event)
    announcements.announced.emit(text, assertive)


def takes_tab_focus(widget: QWidget) -> bool:
    return (widget.isVisible() and widget.isEnabled()
            and bool(widget.focusPolicy().value & Qt.FocusPolicy.TabFocus.value))


def first_control(container: QWidget) -> QWidget | None:
    """The first widget inside `container` that Tab would reach (its focus chain order), or None."""
    widget = container.nextInFocusChain()
    for _ in range(len(container.window().findChildren(QWidget)) + 1):     # the chain is a ring
        if widget is None or widget is container:
            break
        if container.isAncestorOf(widget) and takes_tab_focus(widget):
            return widget
        widget = widget.nextInFocusChain()
    return None


def focus_first(container: QWidget) -> QWidget | None:
    """Move the keyboard focus to the first control inside `container` (as Tab would: the focus ring shows)."""
    target = first_control(container)
    if target is not None:
        target.setFocus(Qt.FocusReason.TabFocusReason)
    return target


SCREEN_SHARE = 0.9


def fit_to_screen(window: QWidget, width: int, height: int) -> None:
    """Give a window its usual size, or less on a smaller screen (at 200 % scaling a 1920×1080 screen is 960×540):
    never more than 90 % of the screen's free area, never less than the window's layout needs."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is not None:
        room = screen.availableGeometry()
        width, height = min(width, int(room.width() * SCREEN_SHARE)), min(height, int(room.height() * SCREEN_SHARE))
    least = window.minimumSizeHint()
    window.resize(max(width, least.width()), max(height, least.height()))
