"""The main window on an office (issue 19: `dws gui --store PROFILE`): the office's review queue — the local
queue panel itself, so the same columns, filters, sorting and keys — kept live by the office's queue watch, the
status bar with the office server's state, and the local window's menus. What an office cannot do yet is there,
disabled, and says why (tooltip, status tip: what a screen reader reads), never hidden.

A request opens below the queue (Enter, double-click, Ctrl+O) in the local request view (ui/office_request.py:
its working copy on this desktop, kept while it is open and removed when it closes, the screen locks or the
application quits); signing, approving and the letter are recorded in the office.

Live: the watch (service/office_watch.py, in its own thread) says a request changed; the queue reads again
within LIVE_REFRESH_MS (bursts are read once). The server lost: the status bar says "office server unreachable"
(announced at once), the queue stays as it was and usable, and failures that say the same are not shown in a
box each time; the watch connects again by itself, and when it has, the status clears and the queue reads again.
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox, QWidget

from workstation.model import ImportSummary, OfficeEvent
from workstation.service.office_desktop import not_yet, refusal

from . import jobs
from .a11y import announce, fit_to_screen
from .appearance import Appearance
from .clipboard import ClipboardGuard
from .commands import COMMANDS
from .database import DbClient
from .failures import UNREACHABLE, Failure, show_failure
from .help_dialogs import AboutDialog, GuideDialog
from .import_actions import AGENCY, FILE_MENU_KINDS, ImportActions, ImportKind, describe
from .labels import InfoLabel
from .office_request import OfficeRequestView
from .overrides import Overrides
from .queue_panel import QueuePanel, over_each_other
from .settings_dialog import SettingsDialog
from .shortcuts_dialog import ShortcutsDialog
from .status_bar import StatusBar
from .theme import HIGH_CONTRAST_PREFERENCE
from .values import SessionInfo

LIVE_REFRESH_MS = 50            # a burst of notifications is read once, this long after the first
STATUS_MESSAGE_MS = 15_000
UNREACHABLE_TEXT = "office server unreachable"


class OfficeLink(QObject):
    """The queue watch's callback (its own thread) as a signal (queued into the UI thread)."""

    event_heard = Signal(object)        # OfficeEvent

    def on_event(self, event: OfficeEvent) -> None:
        self.event_heard.emit(event)


class OfficeStatusBar(StatusBar):
    """The local status bar, and the office server's state beside the user."""

    def __init__(self, info: SessionInfo, office: str, server: str, parent: QWidget | None = None) -> None:
        super().__init__(info, parent)
        self.office, self.server_address = office, server
        self.server = InfoLabel("", "")
        self.server.setWordWrap(False)
        self.insertPermanentWidget(0, self.server)      # first: an outage is the first thing read here
        self.set_reachable(True, quietly=True)

    def set_reachable(self, reachable: bool, message: str = "", *, quietly: bool = False) -> None:
        if reachable:
            text, tip = f"{self.office}: connected", f"The office server at {self.server_address}."
        else:
            text, tip = f"{self.office}: {UNREACHABLE_TEXT}, reconnecting…", message
        if text == self.server.text():
            return
        self.server.setText(text)
        self.server.setToolTip(tip)
        font = self.server.font()
        font.setBold(not reachable)
        self.server.setFont(font)
        if not quietly:
            announce(self.server, text if reachable else f"{text} {message}", assertive=not reachable)

    @property
    def unreachable(self) -> bool:
        return UNREACHABLE_TEXT in self.server.text()


class OfficeWindow(QMainWindow):
    lock_requested = Signal()
    closed = Signal()

    def __init__(self, db: DbClient, info: SessionInfo, office: str, server: str,
                 appearance: Appearance | None = None, clipboard: ClipboardGuard | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self.info, self.office = info, office
        self.appearance = appearance or Appearance(self)
        self.setWindowTitle(f"Disclosure Workstation — {office} — {info.label}")
        self.queue = QueuePanel(db, claims=True)         # who claimed each request (dws list: CLAIMED BY)
        self.overrides = Overrides(db, self)
        self._settings_dialog: SettingsDialog | None = None
        self.request = OfficeRequestView(db, info, self.overrides, clipboard or ClipboardGuard(self))
        self.setCentralWidget(over_each_other(self.queue, self.request))
        self.status = OfficeStatusBar(info, office, server)
        self.setStatusBar(self.status)
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(LIVE_REFRESH_MS)
        self._refresh.timeout.connect(self.reload)
        self.queue.request_activated.connect(self.on_request_activated)
        self.request.request_loaded.connect(self.queue.select)
        self.request.log_written.connect(self.refresh_log_status)
        self.request.decision.decision_signed.connect(lambda _rid: self.reload())
        self.request.letter.letter_issued.connect(lambda _rid: self.refresh_log_status())
        db.failure_reported.connect(self.on_failure_reported)
        self.imports = ImportActions(db, self)
        self.imports.import_finished.connect(self.on_import_finished)
        self.commands = self.request.commands
        self._build_menus()
        fit_to_screen(self, 1360, 860)

    # --- menus ---------------------------------------------------------------------------------------
    def _action(self, menu: QMenu, text: str, shortcut: str | QKeySequence.StandardKey | None,
                slot: Callable[[], object], name: str | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutVisibleInContextMenu(True)
        action.triggered.connect(lambda _checked=False: slot())
        action.setToolTip(name or text.replace("&", "").rstrip("…"))
        menu.addAction(action)
        self.addAction(action)
        return action

    @staticmethod
    def _disable(action: QAction, reason: str) -> QAction:
        """Disabled, saying why in its tooltip and status tip (read by a screen reader, shown when highlighted)."""
        action.setEnabled(False)
        action.setToolTip(f"Not available: {reason}")
        action.setStatusTip(f"Not available: {reason}")
        action.setWhatsThis(f"Not available: {reason}")
        return action

    def _not_yet(self, menu: QMenu, text: str, shortcut: str | None, what: str) -> QAction:
        return self._disable(self._action(menu, text, shortcut, lambda: None), not_yet(what))

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self.lock_action = self._action(file, "&Lock", "Ctrl+L", self.lock_requested.emit)
        self.lock_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        file.addSeparator()
        self.import_actions: dict[str, QAction] = {}
        for kind in FILE_MENU_KINDS:
            action = self._action(file, kind.menu_text, kind.shortcut, lambda k=kind: self.import_chosen(k),
                                  kind.title)
            reason = not_yet(f"Importing {kind.what}") if kind is AGENCY else refusal(self.info.role, kind.permission)
            if reason is not None:
                self._disable(action, reason)
            self.import_actions[kind.key] = action
        file.setToolTipsVisible(True)
        file.addSeparator()
        self._action(file, "&Quit", "Ctrl+Q", self.close)
        edit = bar.addMenu("&Edit")
        self._action(edit, "&Find in queue", "Ctrl+F", self.focus_search)
        view = bar.addMenu("&View")
        self._action(view, "&Queue", "Ctrl+0", self.queue.view.setFocus)
        tabs = self.request.tabs
        for number, tab in enumerate(tabs.widget(i) for i in range(tabs.count())):
            self._action(view, tabs.tabText(number), f"Ctrl+{number + 1}", lambda t=tab: self.request.show_tab(t))
        self._action(view, "Ne&xt tab", "Ctrl+Tab", lambda: self.request.step_tab(1)).setShortcuts(
            [QKeySequence("Ctrl+Tab"), QKeySequence("Ctrl+PgDown")])
        self._action(view, "Previous ta&b", "Ctrl+Shift+Tab", lambda: self.request.step_tab(-1)).setShortcuts(
            [QKeySequence("Ctrl+Shift+Tab"), QKeySequence("Ctrl+PgUp")])
        view.addSeparator()
        self._action(view, "R&eload queue", "Ctrl+R", self.reload)
        self._action(view, "&Sort the queue by the current column", "Ctrl+Shift+B", self.queue.sort_by_current_column)
        view.addSeparator()
        self.high_contrast_action = self._action(view, "&High contrast", "Ctrl+Shift+H", self.toggle_high_contrast,
                                                 "High contrast colours (remembered for you)")
        self.high_contrast_action.setCheckable(True)
        self.high_contrast_action.setChecked(self.appearance.high_contrast)
        request = bar.addMenu("&Request")
        self.open_action = self._action(request, "&Open selected request", "Ctrl+O", self.queue.open_current)
        request.addSeparator()
        for command in COMMANDS:
            request.addAction(self.commands[command.key])
            self.addAction(self.commands[command.key])
        request.setToolTipsVisible(True)
        self.toolbar = self.addToolBar("Request")
        self.toolbar.setObjectName("request-toolbar")
        self.toolbar.setAccessibleName("Request commands")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.setMovable(False)
        self.toolbar.addActions(self.commands.actions())
        tools = bar.addMenu("&Tools")
        self.verify_action = self._action(tools, "&Verify the office log", "Ctrl+Shift+V", self.verify)
        self._not_yet(tools, "Verify against &witnesses…", "Ctrl+Shift+K", "Verifying against witnesses here "
                      "(the command line has it: dws verify --against)")
        tools.addSeparator()
        self._not_yet(tools, "Court &orders…", "Ctrl+Shift+C", "The court-order register")
        self._not_yet(tools, "&Users…", "Ctrl+Shift+U", "Managing users here ('dws office enrol' adds them, "
                      "'dws user list' lists them)")
        self.settings_action = self._action(tools, "&Settings…", "Ctrl+,", self.show_settings)   # the office's (i19o)
        reason = refusal(self.info.role, "change-settings")
        if reason is not None:
            self._disable(self.settings_action, reason)
        self._not_yet(tools, "&Accounting of disclosures…", "Ctrl+Shift+Y", "The accounting of disclosures")
        tools.setToolTipsVisible(True)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Guide", "F1", lambda: GuideDialog(self).open())
        self._action(help_menu, "&Keyboard shortcuts", "Ctrl+/", lambda: ShortcutsDialog(self.menuBar(), self).open())
        help_menu.addSeparator()
        self._action(help_menu, "&About the Disclosure Workstation", "Ctrl+Shift+F1", self.show_about)

    # --- slots ---------------------------------------------------------------------------------------
    def start(self) -> None:
        self.reload()
        self.refresh_log_status()
        self._db.call(lambda s: s.witness_status(), self.status.on_witness_outcome_loaded)

    def reload(self) -> None:
        self.queue.reload()

    def refresh_log_status(self) -> None:
        self._db.call(jobs.log_status, self.status.on_log_status_loaded, self.on_background_failed)

    def on_office_event(self, event: OfficeEvent) -> None:
        """What the queue watch heard: a request changed, the server lost, or reached again."""
        if event.kind == "changed":
            if not self._refresh.isActive():
                self._refresh.start()
            self.request.on_request_changed(event.request_id)
        elif event.kind == "unreachable":
            self.status.set_reachable(False, event.message or "")
        elif event.kind == "reachable":
            self.status.set_reachable(True)
            self.reload()
            self.refresh_log_status()

    def on_request_activated(self, request_id: str) -> None:
        self.request.open_request(request_id, by_user=True)

    def on_locked(self) -> None:
        """The screen locked: the open request is closed (its working copy removed); opened again from the queue."""
        self.request.close_request()

    def focus_search(self) -> None:
        self.queue.search.setFocus()
        self.queue.search.selectAll()

    def toggle_high_contrast(self) -> None:
        """The user's choice: applied at once, and kept in the office for this login's next unlock (i19o)."""
        on = self.high_contrast_action.isChecked()
        self.appearance.set_preference(on)
        self.status.showMessage(f"High contrast {'on' if on else 'off'}.", STATUS_MESSAGE_MS)
        self._db.call(lambda s: s.set_preference(HIGH_CONTRAST_PREFERENCE, on), lambda _kept: None)

    def show_settings(self) -> SettingsDialog:
        """The office's settings (Tools › Settings), as the local window shows a store's: one dialog at a time."""
        dialog = self._settings_dialog
        if dialog is None or not shiboken6.isValid(dialog):
            dialog = self._settings_dialog = SettingsDialog(self._db, self)
            dialog.settings_saved.connect(lambda _keys: self.on_settings_saved())
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def on_settings_saved(self) -> None:
        """A setting changed: the open request is evaluated again (its thresholds may have), the log re-read."""
        self.request.reload()
        self.refresh_log_status()

    def import_chosen(self, kind: ImportKind) -> None:
        self.imports.choose(kind)

    def on_import_finished(self, summary: ImportSummary) -> None:
        self.status.showMessage(describe(summary), STATUS_MESSAGE_MS)
        self.reload()
        self.refresh_log_status()

    def verify(self) -> None:
        self._db.call(lambda s: s.verify(), self.on_verified, label="Verifying the office log…")

    def on_verified(self, report: object) -> None:
        problems = list(getattr(report, "problems", []))
        entries = getattr(report, "entries", 0)
        text = (f"Verified {entries:,} office log entries: the chain is whole." if not problems
                else "PROBLEMS FOUND:\n" + "\n".join(problems))
        box = QMessageBox(QMessageBox.Icon.Information if not problems else QMessageBox.Icon.Critical,
                          "Verification", text, QMessageBox.StandardButton.Ok, self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.refresh_log_status()

    def show_about(self) -> None:
        about = AboutDialog(self.info.store, self)
        workstation = self._db.workstation
        self._db.run(lambda _ctx: workstation.crypto_report(), about.crypto.show_report,
                     lambda failure: about.crypto.show_failure(failure.message), owner=about.crypto)
        about.open()

    def on_background_failed(self, failure: Failure) -> None:
        """A job the user did not ask for (a refresh): an outage goes to the status bar; anything else is shown."""
        self.on_failure_reported(failure)

    def on_failure_reported(self, failure: Failure) -> None:
        if failure.kind == UNREACHABLE:
            self.status.set_reachable(False, failure.message)
            return
        show_failure(self, failure)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.request.snapshot is not None:
            self.request.close_request()
        self.closed.emit()
        super().closeEvent(event)
