"""The application's style: Qt's Fusion, drawn from the current `Theme` where Fusion's own choices fall short of
WCAG AA (Fusion derives borders and its focus mark from the palette at 1.3 to 2:1):

- a focus ring of 3 px in the theme's focus colour around whichever widget has the keyboard focus (one
  `QFocusFrame` that follows the focus, above every other widget of the window: 2 px outside the widget and 1 px
  over its edge), and a 2 px ring around the current cell of a table;
- the edges of fields, buttons, combo boxes, spin boxes, check boxes, frames, menus and scroll-bar handles in the
  theme's boundary colour (3:1 or more against what is beside them);
- the selected tab underlined in the highlight colour;
- disabled menu entries reachable with the arrow keys, so a screen reader reaches them and their reason (the
  status tip, which the status bar shows and announces).
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QApplication,
    QFocusFrame,
    QMenu,
    QMenuBar,
    QProxyStyle,
    QStyle,
    QStyleFactory,
    QStyleOption,
    QStyleOptionComplex,
    QStyleOptionFocusRect,
    QStyleOptionTab,
    QWidget,
)

from .theme import Theme, most_visible

RING_OUTSIDE = 2            # px of the focus ring outside the widget
RING_WIDTH = 3              # px in all: the rest lies over the widget's edge (no mask keeps it out)
CELL_RING_WIDTH = 2
TAB_MARK = 3                # px under the selected tab

PE, CE, CC = QStyle.PrimitiveElement, QStyle.ControlElement, QStyle.ComplexControl
BOUNDED = frozenset({PE.PE_FrameLineEdit, PE.PE_PanelButtonCommand, PE.PE_IndicatorCheckBox, PE.PE_Frame,
                     PE.PE_FrameMenu, PE.PE_PanelTipLabel})


def _ring(painter: QPainter, rect: QRect, color: QColor, width: int) -> None:
    """A solid ring `width` px wide just inside `rect`."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    x, y, w, h = rect.x(), rect.y(), rect.width(), rect.height()
    for band in (QRect(x, y, w, width), QRect(x, y + h - width, w, width), QRect(x, y, width, h),
                 QRect(x + w - width, y, width, h)):
        painter.fillRect(band, color)
    painter.restore()


def _edge(painter: QPainter, rect: QRect, color: QColor) -> None:
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    painter.setPen(QPen(color, 1))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(rect.adjusted(0, 0, -1, -1))
    painter.restore()


class AccessibleStyle(QProxyStyle):
    def __init__(self, theme: Theme) -> None:
        super().__init__(QStyleFactory.create("Fusion"))
        self.theme = theme

    def pixelMetric(self, metric: QStyle.PixelMetric, option: QStyleOption | None = None,  # type: ignore[override]
                    widget: QWidget | None = None) -> int:
        if metric in (QStyle.PixelMetric.PM_FocusFrameHMargin, QStyle.PixelMetric.PM_FocusFrameVMargin):
            return RING_OUTSIDE
        return super().pixelMetric(metric, option, widget)

    def styleHint(self, hint: QStyle.StyleHint, option: QStyleOption | None = None,  # type: ignore[override]
                  widget: QWidget | None = None, data: object = None) -> int:
        if hint in (QStyle.StyleHint.SH_FocusFrame_AboveWidget, QStyle.StyleHint.SH_Menu_AllowActiveAndDisabled):
            return 1
        if hint == QStyle.StyleHint.SH_FocusFrame_Mask:
            return 0
        return super().styleHint(hint, option, widget, data)  # type: ignore[arg-type]

    def drawControl(self, element: QStyle.ControlElement, option: QStyleOption,  # type: ignore[override]
                    painter: QPainter, widget: QWidget | None = None) -> None:
        if element == CE.CE_FocusFrame:
            _ring(painter, option.rect, self.theme.color("focus"), RING_WIDTH)
            return
        super().drawControl(element, option, painter, widget)
        if (element == CE.CE_TabBarTabShape and isinstance(option, QStyleOptionTab)
                and option.state & QStyle.StateFlag.State_Selected):
            r = option.rect
            painter.fillRect(QRect(r.x() + 1, r.bottom() - TAB_MARK + 1, r.width() - 2, TAB_MARK),
                             self.theme.color("highlight"))

    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: QStyleOption,  # type: ignore[override]
                      painter: QPainter, widget: QWidget | None = None) -> None:
        if element == PE.PE_FrameFocusRect:
            behind = option.backgroundColor if isinstance(option, QStyleOptionFocusRect) else option.palette.base()
            behind = QColor(behind) if isinstance(behind, QColor) else behind.color()
            color = most_visible(behind, self.theme.focus, self.theme.text, self.theme.highlighted_text)
            _ring(painter, option.rect, color, CELL_RING_WIDTH)
            return
        super().drawPrimitive(element, option, painter, widget)
        if element in BOUNDED:
            _edge(painter, option.rect, self.theme.color("boundary"))

    def drawComplexControl(self, control: QStyle.ComplexControl,  # type: ignore[override]
                           option: QStyleOptionComplex, painter: QPainter, widget: QWidget | None = None) -> None:
        super().drawComplexControl(control, option, painter, widget)
        if control in (CC.CC_ComboBox, CC.CC_SpinBox):
            _edge(painter, option.rect, self.theme.color("boundary"))
        elif control == CC.CC_ScrollBar:
            handle = self.subControlRect(control, option, QStyle.SubControl.SC_ScrollBarSlider, widget)
            if handle.isValid():
                _edge(painter, handle, self.theme.color("boundary"))


def wants_ring(widget: QWidget | None) -> bool:
    return (widget is not None and not widget.isWindow() and widget.focusPolicy() != Qt.FocusPolicy.NoFocus
            and not isinstance(widget, QMenu | QMenuBar)
            and widget.window().windowType() != Qt.WindowType.Popup)


class FocusRing(QObject):
    """One QFocusFrame that follows the keyboard focus from widget to widget and window to window."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._frame: QFocusFrame | None = None
        app.focusChanged.connect(self.on_focus_changed)

    @property
    def frame(self) -> QFocusFrame | None:
        return self._frame if self._frame is not None and shiboken6.isValid(self._frame) else None

    def on_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        frame = self.frame
        if not wants_ring(new):
            if frame is not None:
                frame.setWidget(None)
            return
        if frame is None:                         # the first time, or its last parent was deleted
            frame = self._frame = QFocusFrame()
        frame.setWidget(new)
