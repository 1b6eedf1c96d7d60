"""Reading windows as a screen reader does, inside the test process: the QAccessibleInterface tree (what Qt hands
to AT-SPI), and the focus ring as pixels.

- `problems(window)`: every visible interactive object without a name, every label whose text a screen reader
  cannot get (a fixed accessible name in its place), every button whose name does not contain its visible
  label (WCAG 2.5.3), every combo box without a label, every table that keeps the Tab key;
- `focus_unseen(window)`: every control that takes the focus without a visible change around it of 3:1 or more
  (WCAG 2.4.7, measured as 2.4.13 does: the same pixels focused and unfocused).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QAccessible, QAccessibleInterface, QColor, QImage
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QApplication, QComboBox, QLabel, QWidget

from ui.a11y import takes_tab_focus
from ui.theme import contrast

R = QAccessible.Role
INTERACTIVE = frozenset({R.Button, R.CheckBox, R.RadioButton, R.ComboBox, R.EditableText, R.SpinBox, R.PageTab,
                         R.PageTabList, R.Table, R.List, R.Tree, R.Slider, R.ButtonMenu, R.ButtonDropDown, R.Link,
                         R.MenuItem, R.ToolBar, R.Dialog, R.Window})
NAME, DESCRIPTION = QAccessible.Text.Name, QAccessible.Text.Description
BAND = 4                      # px around a widget's edge where its focus ring is looked for
FOCUS_CONTRAST = 3.0


@dataclass(frozen=True)
class Node:
    role: QAccessible.Role
    name: str
    description: str
    widget: object               # the QObject behind it, or None
    path: str


def nodes(root: QWidget) -> Iterator[Node]:
    """Every object of `root`'s accessible tree that is on screen (invisible branches are skipped)."""
    iface = QAccessible.queryAccessibleInterface(root)
    assert iface is not None and iface.isValid()
    yield from _walk(iface, type(root).__name__)


def _walk(iface: QAccessibleInterface, path: str) -> Iterator[Node]:
    if iface.state().invisible:
        return
    yield Node(iface.role(), iface.text(NAME), iface.text(DESCRIPTION), iface.object(), path)
    for i in range(iface.childCount()):
        child = iface.child(i)
        if child is not None and child.isValid():
            obj = child.object()
            yield from _walk(child, f"{path}/{type(obj).__name__ if obj is not None else child.role().name}")


def _words(text: str) -> str:
    return " ".join(text.replace("&&", "\0").replace("&", "").replace("\0", "&").split())


def problems(window: QWidget) -> list[str]:
    found = []
    for node in nodes(window):
        widget = node.widget
        focusable = isinstance(widget, QWidget) and takes_tab_focus(widget)
        if (node.role in INTERACTIVE or focusable) and not node.name.strip():
            found.append(f"unnamed {node.role.name}: {node.path}")
        if isinstance(widget, QAbstractButton) and widget.text():          # WCAG 2.5.3: say what you see
            shown = _words(widget.text()).rstrip("…").rstrip(".").strip().lower()
            if shown and shown not in node.name.lower():
                found.append(f"name {node.name!r} does not contain the visible label {shown!r} ({node.path})")
        if isinstance(widget, QLabel) and widget.buddy() is None:
            shown = _words(widget.text())
            if shown and shown not in _words(node.name + " " + node.description):
                found.append(f"label hides its text behind the name {node.name!r}: {shown[:60]!r} ({node.path})")
    labelled = {id(label.buddy()) for label in window.findChildren(QLabel) if label.buddy() is not None}
    for combo in window.findChildren(QComboBox):       # on Linux Qt names a combo box after its label, not its
        if combo.isVisible() and id(combo) not in labelled:           # accessible name (which AT-SPI never sees)
            found.append(f"combo box without a label: {combo.accessibleName()!r}")
    for view in window.findChildren(QAbstractItemView):
        if view.isVisible() and view.tabKeyNavigation():
            found.append(f"table keeps Tab: {view.accessibleName() or type(view).__name__}")
    return found


def _grab(window: QWidget, rect: QRect) -> QImage:
    QApplication.processEvents()
    return window.grab(rect).toImage().convertToFormat(QImage.Format.Format_RGB32)


def _band(rect: QRect) -> Iterator[tuple[int, int]]:
    """The pixels within BAND of the edge of `rect` (whose corner is at BAND, BAND of the grabbed image)."""
    w, h = rect.width() + 2 * BAND, rect.height() + 2 * BAND
    for y in range(h):
        if y < 2 * BAND or y >= h - 2 * BAND:
            yield from ((x, y) for x in range(w))
        else:
            yield from ((x, y) for x in (*range(2 * BAND), *range(w - 2 * BAND, w)))


def ring_pixels(widget: QWidget) -> tuple[int, int]:
    """(pixels around `widget`'s edge that change by FOCUS_CONTRAST or more when it takes the focus, the edge's
    length): the focus indicator as WCAG 2.4.13 measures it."""
    window = widget.window()
    inner = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    area = inner.adjusted(-BAND, -BAND, BAND, BAND)
    widget.clearFocus()
    before = _grab(window, area)
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    after = _grab(window, area)
    changed = 0
    for x, y in _band(inner):
        if x < before.width() and y < before.height():
            a, b = before.pixel(x, y), after.pixel(x, y)
            if a != b and contrast(QColor(a), QColor(b)) >= FOCUS_CONTRAST:
                changed += 1
    return changed, 2 * (inner.width() + inner.height())


def focus_unseen(window: QWidget, within: QWidget | None = None) -> list[str]:
    """Each visible control reached by Tab (inside `within`, if given) whose focus is not seen: less than one
    ring's worth of pixels around it changes by 3:1 or more."""
    window.activateWindow()
    QApplication.processEvents()
    unseen = []
    for widget in (within or window).findChildren(QWidget):
        if widget.window() is not window or not takes_tab_focus(widget) or widget.focusProxy() is not None:
            continue
        changed, edge = ring_pixels(widget)
        if changed < edge:
            unseen.append(f"{type(widget).__name__} {widget.accessibleName() or getattr(widget, 'text', str)()!r}: "
                          f"{changed} of {edge} px")
    return unseen
