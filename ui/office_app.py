"""Composition root of the desktop application on an office (`dws gui --store PROFILE`): the same parts as
`DesktopApp` — the palette, the DB worker (holding an OfficeSession instead of a Session), the unlock dialog, the
lock — with the office window, and the office's queue watch (its own thread and connection: the live queue and
the server's state).

    Appearance + DbClient(OfficeWorkstation) ─ UnlockDialog ─▶ OfficeWindow + LockController + QueueWatch
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

from workstation.service.office_desktop import OfficeWorkstation, not_yet

from .appearance import Appearance
from .clipboard import ClipboardGuard
from .database import DbClient
from .failures import Failure
from .lock import LockController
from .office_window import OfficeLink, OfficeWindow
from .unlock_dialog import UnlockDialog
from .values import SessionInfo


class OfficeDesktopApp(QObject):
    def __init__(self, office: OfficeWorkstation, *, idle_lock_ms: int | None = None) -> None:
        super().__init__()
        self._idle_lock_ms = idle_lock_ms
        profile = office.profile()                  # a bad profile: InputError before any window (app.main)
        self.office_name, self.server = profile.office, f"{profile.host}:{profile.port}"
        self.appearance = Appearance(self)
        self.db = DbClient(office)                  # type: ignore[arg-type]   # the worker runs the office's facade
        self.clipboard = ClipboardGuard(self)
        self.link = OfficeLink(self)
        self.unlock_dialog = UnlockDialog(self.db)
        self.unlock_dialog.setWindowTitle(f"Disclosure Workstation — Unlock — {self.office_name}")
        self.unlock_dialog.show_where(f"Office: {self.office_name}, on the office server at {self.server}")
        self.unlock_dialog.refuse_recovery(not_yet("Unlocking an office with its recovery code"))
        self.unlock_dialog.unlocked.connect(self.on_unlocked)
        self.window: OfficeWindow | None = None
        self.lock: LockController | None = None
        self.info: SessionInfo | None = None
        self.watch: object | None = None            # service/office_watch.QueueWatch, once started

    def start(self) -> None:
        self.unlock_dialog.show()
        self.unlock_dialog.activateWindow()

    def on_unlocked(self, info: SessionInfo) -> None:
        self.info = info
        idle_ms = self._idle_lock_ms or info.idle_lock_minutes * 60_000
        self.appearance.set_preference(info.high_contrast)     # this login's own choice, kept in the office (i19o)
        self.window = OfficeWindow(self.db, info, self.office_name, self.server, self.appearance, self.clipboard)
        self.lock = LockController(self.db, self.clipboard, info, idle_ms, self)
        self.window.lock_requested.connect(self.lock.lock)
        self.lock.locked.connect(self.window.on_locked)
        self.lock.remaining_changed.connect(self.window.status.on_lock_remaining_changed)
        self.lock.witness_written.connect(self.window.status.on_witness_outcome_loaded)
        self.lock.screen.quit_requested.connect(self.quit)
        self.link.event_heard.connect(self.window.on_office_event)
        self.window.show()
        self.window.activateWindow()
        self.window.start()
        self.lock.start()
        link = self.link
        self.db.run(lambda ctx: ctx.session.watch(link.on_event), self.on_watch_started, self.on_watch_failed,
                    urgent=True)

    def on_watch_started(self, watch: object) -> None:
        if self.db.running:
            self.watch = watch
        else:                                       # the application stopped meanwhile
            watch.stop()                            # type: ignore[attr-defined]

    def on_watch_failed(self, failure: Failure) -> None:
        if self.window is not None:
            self.window.on_failure_reported(failure)

    def quit(self) -> None:
        self.stop()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def stop(self) -> None:
        """Stop the watch (its thread ends), timers, close every window, close the session in its thread and end
        the thread."""
        if self.watch is not None:
            self.watch.stop()                       # type: ignore[attr-defined]
            self.watch = None
        if self.lock is not None:
            self.lock.stop()
        for widget in (self.window, self.unlock_dialog):
            if widget is not None:
                widget.close()
        self.db.stop()
