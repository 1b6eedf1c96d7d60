"""Locking: after `idle_lock_minutes` without keyboard or mouse input, or on Ctrl+L, every window is hidden
behind the lock screen, results of running work are held back, the clipboard is cleared if the app put
taxpayer data on it, and a checkpoint of the audit log goes to the witness folder."""

from __future__ import annotations

import math
import time

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

from workstation.model import WitnessOutcome
from workstation.service import Session

from .clipboard import ClipboardGuard
from .database import DbClient
from .failures import Failure
from .lock_screen import LockScreen
from .values import SessionInfo

INPUT_EVENTS = frozenset({QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
                          QEvent.Type.Wheel, QEvent.Type.TouchBegin, QEvent.Type.TabletPress})
RESTORABLE = (Qt.WindowType.Window, Qt.WindowType.Dialog)


def witness_then_close_card(session: Session) -> WitnessOutcome:
    """The lock's checkpoint to the witness folder, then the user's card (if open) logged out: a locked
    screen signs nothing more until the PIN is given again."""
    try:
        return session.append_witness()
    finally:
        session.close_card()

class LockController(QObject):
    locked = Signal()
    unlocked = Signal()
    remaining_changed = Signal(int)        # seconds until the idle lock
    witness_written = Signal(object)       # WitnessOutcome of the lock's checkpoint (written, or a warning)

    def __init__(self, db: DbClient, clipboard: ClipboardGuard, info: SessionInfo, idle_ms: int,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._db, self._clipboard = db, clipboard
        self.idle_ms = idle_ms
        self.is_locked = False
        self._hidden: list[QWidget] = []
        self._last_input = time.monotonic()
        self.screen = LockScreen(db, info)
        self.screen.unlocked.connect(self.on_screen_unlocked)
        self._tick = QTimer(self)
        self._tick.setInterval(max(50, min(1000, idle_ms // 10)))
        self._tick.timeout.connect(self.on_tick)

    def start(self) -> None:
        self._last_input = time.monotonic()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self._tick.start()
        self.remaining_changed.emit(self.seconds_left())

    def stop(self) -> None:
        self._tick.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.screen.countdown.stop()
        self.screen.close()
        self.screen.deleteLater()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in INPUT_EVENTS:
            self._last_input = time.monotonic()
        return False

    def seconds_left(self) -> int:
        return max(0, math.ceil(self.idle_ms / 1000 - (time.monotonic() - self._last_input)))

    def on_tick(self) -> None:
        if self.is_locked:
            return
        if (time.monotonic() - self._last_input) * 1000 >= self.idle_ms:
            self.lock()
        else:
            self.remaining_changed.emit(self.seconds_left())

    def lock(self) -> None:
        if self.is_locked:
            return
        self.is_locked = True
        self._db.hold()
        visible = [w for w in QApplication.topLevelWidgets() if w.isVisible() and w is not self.screen]
        self._hidden = [w for w in visible if w.windowType() in RESTORABLE]
        self.screen.reset()
        self.screen.show()                # first, so that hiding the others never leaves no window at all
        for widget in visible:
            widget.hide()
        self._clipboard.clear_sensitive()
        self.screen.raise_()
        self.screen.activateWindow()
        self._db.run(lambda ctx: witness_then_close_card(ctx.session), self.witness_written.emit,
                     self.on_witness_failed, urgent=True)
        self.locked.emit()

    def on_witness_failed(self, failure: Failure) -> None:
        """Not a folder problem (that is the outcome's warning) but anything else: still only a warning."""
        self.witness_written.emit(WitnessOutcome("", warning=f"no checkpoint was written: {failure.message}"))

    def on_screen_unlocked(self) -> None:
        self.is_locked = False
        self.screen.hide()
        for widget in self._hidden:
            if shiboken6.isValid(widget):
                widget.show()
        self._hidden = []
        self._last_input = time.monotonic()
        self._db.release()
        self.unlocked.emit()
        self.remaining_changed.emit(self.seconds_left())
