"""The failed-unlock lockout (AC-7) as the user sees it: a countdown of the time left, to the second."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal


def minutes_seconds(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


class LockoutCountdown(QObject):
    ticked = Signal(str)        # the message to show
    ended = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.user = ""
        self._until = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.on_timer_ticked)

    @property
    def active(self) -> bool:
        return self._until > time.monotonic()

    def start(self, user: str, seconds: int) -> None:
        if seconds <= 0:
            return
        self.user = user
        self._until = time.monotonic() + seconds
        self._timer.start()
        self.on_timer_ticked()

    def stop(self) -> None:
        self._timer.stop()
        self._until = 0.0

    def on_timer_ticked(self) -> None:
        left = int(self._until - time.monotonic() + 0.999)
        if left <= 0:
            self.stop()
            self.ticked.emit("You may try again now.")
            self.ended.emit()
        else:
            self.ticked.emit(f"Too many failed unlocks for {self.user!r}: unlocking is refused for another "
                             f"{minutes_seconds(left)} (minutes:seconds).")
