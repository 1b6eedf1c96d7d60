"""Composition root of the desktop application: build the long-lived objects once and wire them.

    Appearance (the palette) + DbClient (the worker thread) ─ UnlockDialog ─▶ MainWindow + LockController
        + Overrides + ClipboardGuard

Nothing here is global; tests build a `DesktopApp` the same way, with a short idle timeout.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from workstation import clock as clocks
from workstation.errors import DwsError
from workstation.fsutil import private_umask
from workstation.paths import resolve_store
from workstation.service import Workstation
from workstation.service.office_profile import is_office_store

from . import qtfix
from .appearance import Appearance
from .capabilities import Capabilities
from .clipboard import ClipboardGuard
from .database import DbClient
from .lock import LockController
from .main_window import MainWindow
from .overrides import Overrides
from .unlock_dialog import UnlockDialog
from .values import SessionInfo

if TYPE_CHECKING:       # an office's modules (psycopg...) load only when --store names an office (main)
    from workstation.service.office_desktop import OfficeWorkstation

    from .office_app import OfficeDesktopApp

# The DB worker runs Python (the evaluation) while the UI thread paints Python models: every data() call must
# win the GIL back. With CPython's default 5 ms switch interval a repaint can wait hundreds of milliseconds;
# at 1 ms the event loop stays responsive, at a small cost to the worker.
SWITCH_INTERVAL_S = 0.001


def prepare_process(*, private_files: bool = True) -> None:
    """Process-wide settings, before any window: private files, the PySide6 guard, GIL hand-over."""
    if private_files:
        private_umask()
    qtfix.apply()
    sys.setswitchinterval(SWITCH_INTERVAL_S)


class DesktopApp(QObject):
    def __init__(self, workstation: Workstation, *, idle_lock_ms: int | None = None,
                 caps: Capabilities | None = None) -> None:
        super().__init__()
        self._idle_lock_ms = idle_lock_ms
        self.caps = caps or Capabilities.of()
        self.appearance = Appearance(self)          # as the desktop asks, until the user's own choice is known
        self.db = DbClient(workstation)
        self.clipboard = ClipboardGuard(self)
        self.overrides = Overrides(self.db, self)
        self.unlock_dialog = UnlockDialog(self.db)
        self.unlock_dialog.unlocked.connect(self.on_unlocked)
        self.window: MainWindow | None = None
        self.lock: LockController | None = None
        self.info: SessionInfo | None = None

    def start(self) -> None:
        self.unlock_dialog.show()
        self.unlock_dialog.activateWindow()         # the keyboard goes to it, with or without a window manager

    def on_unlocked(self, info: SessionInfo) -> None:
        self.info = info
        idle_ms = self._idle_lock_ms or info.idle_lock_minutes * 60_000
        self.appearance.set_preference(info.high_contrast)
        self.window = MainWindow(self.db, self.caps, info, self.overrides, self.clipboard, self.appearance)
        self.lock = LockController(self.db, self.clipboard, info, idle_ms, self)
        self.window.lock_requested.connect(self.lock.lock)
        self.lock.remaining_changed.connect(self.window.status.on_lock_remaining_changed)
        self.lock.witness_written.connect(self.window.status.on_witness_outcome_loaded)
        self.lock.screen.quit_requested.connect(self.quit)
        self.window.show()
        self.window.activateWindow()
        self.window.start()
        self.lock.start()

    def quit(self) -> None:
        self.stop()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def stop(self) -> None:
        """Stop timers, close every window, close the session in its thread and end the thread."""
        if self.lock is not None:
            self.lock.stop()
        for widget in (self.window, self.unlock_dialog):
            if widget is not None:
                widget.close()
        self.db.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="disclosure-workstation")
    parser.add_argument("--store", metavar="DIR", help="a store folder, or an office profile (office.json)")
    parser.add_argument("--quit-after", type=float, metavar="SECONDS",
                        help="quit by itself after SECONDS (a check that the application starts)")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    store = resolve_store(args.store)
    try:
        product_clock = clocks.from_environment()
    except ValueError as exc:
        parser.error(str(exc))
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName("Disclosure Workstation")
    # --store naming an office profile opens the office's window
    workstation: Workstation | OfficeWorkstation
    if is_office_store(Path(store)):
        from workstation.service.office_desktop import OfficeWorkstation

        workstation = OfficeWorkstation(Path(store))
    else:
        workstation = Workstation(Path(store))    # a local store's window loads none of the office's modules
    try:
        workstation.check_office_policy()        # crypto = fips without the FIPS provider: one message, no window
        if not isinstance(workstation, Workstation):
            workstation.profile()                # a profile that cannot be read: its one message, no window
    except DwsError as exc:
        print(f"disclosure-workstation: {exc}", file=sys.stderr)
        QMessageBox.critical(None, "Disclosure Workstation", str(exc))
        return 1
    prepare_process()
    with clocks.use(product_clock):
        desktop: DesktopApp | OfficeDesktopApp
        if isinstance(workstation, Workstation):
            desktop = DesktopApp(workstation)
        else:
            from .office_app import OfficeDesktopApp

            desktop = OfficeDesktopApp(workstation)
        desktop.unlock_dialog.rejected.connect(app.quit)
        app.aboutToQuit.connect(desktop.stop)
        desktop.start()
        if args.quit_after is not None:
            QTimer.singleShot(int(args.quit_after * 1000), app.quit)
        return app.exec()


if __name__ == "__main__":
    sys.exit(main())
