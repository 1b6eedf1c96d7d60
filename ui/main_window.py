"""The main window: the queue above, the request below, menus for everything (each action with a visible
shortcut), and the status bar. It builds no long-lived objects of its own: the composition root passes them in."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QDialog, QMainWindow, QMenu, QMessageBox, QWidget

from workstation.model import ImportSummary

from . import jobs
from .a11y import fit_to_screen
from .accounting_dialog import AccountingDialog
from .appearance import Appearance
from .capabilities import Capabilities, refusal
from .clipboard import ClipboardGuard
from .database import DbClient
from .failures import Failure, show_failure
from .help_dialogs import AboutDialog, GuideDialog
from .import_actions import FILE_MENU_KINDS, ImportActions, ImportKind, describe
from .orders_dialog import OrdersDialog
from .overrides import Overrides
from .queue_panel import QueuePanel, over_each_other
from .request_view import RequestView
from .settings_dialog import SettingsDialog
from .shortcuts_dialog import ShortcutsDialog
from .status_bar import StatusBar
from .theme import HIGH_CONTRAST_PREFERENCE
from .users_dialog import UsersDialog
from .values import SessionInfo
from .verify_dialog import VerifyDialog

LOG_REFRESH_MS = 500
STATUS_MESSAGE_MS = 15_000
D = TypeVar("D", bound=QDialog)


class MainWindow(QMainWindow):
    lock_requested = Signal()
    closed = Signal()

    def __init__(self, db: DbClient, caps: Capabilities, info: SessionInfo, overrides: Overrides,
                 clipboard: ClipboardGuard, appearance: Appearance | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self.info = info
        self.appearance = appearance or Appearance(self)
        self._dialogs: dict[str, QDialog] = {}
        self.setWindowTitle(f"Disclosure Workstation — {info.label}")
        self.queue = QueuePanel(db)
        self.request = RequestView(db, caps, info, overrides, clipboard)
        self.setCentralWidget(over_each_other(self.queue, self.request))
        self.status = StatusBar(info)
        self.setStatusBar(self.status)
        self._log_timer = QTimer(self)
        self._log_timer.setSingleShot(True)
        self._log_timer.setInterval(LOG_REFRESH_MS)
        self._log_timer.timeout.connect(self.refresh_log_status)
        self.queue.request_activated.connect(self.open_request)
        self.request.log_written.connect(self._log_timer.start)
        self.request.letter.letter_issued.connect(lambda _rid: self._log_timer.start())
        self.request.letter.output_recorded.connect(lambda _action, _target: self._log_timer.start())
        self.request.request_loaded.connect(self.on_request_loaded)
        overrides.overrides_changed.connect(lambda _rid: self.queue.reload())
        self.request.decision.decision_signed.connect(lambda _rid: self.queue.reload())
        db.failure_reported.connect(self.on_failure_reported)
        self.imports = ImportActions(db, self)
        self.imports.import_finished.connect(self.on_import_finished)
        self._build_menus(overrides)
        fit_to_screen(self, 1360, 860)

    # --- menus ---------------------------------------------------------------------------------------
    def _action(self, menu: QMenu, text: str, shortcut: QKeySequence | QKeySequence.StandardKey | str | None,
                slot: Callable[[], object], name: str | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutVisibleInContextMenu(True)
        action.triggered.connect(lambda _checked=False: slot())
        action.setToolTip(name or text.replace("&", "").rstrip("…"))
        menu.addAction(action)
        self.addAction(action)        # the shortcut works wherever the focus is in this window
        return action

    def _shared(self, menu: QMenu, action: QAction) -> None:
        """One of the request's commands (owned by the request view, shared with its toolbar and buttons)."""
        menu.addAction(action)
        self.addAction(action)

    def _gated(self, action: QAction, permission: str) -> QAction:
        """Disable an action the user's role may not use, saying why (the service's reason) in its tooltip and
        in the status bar while it is highlighted."""
        reason = refusal(self.info.role, permission)
        if reason is not None:
            action.setEnabled(False)
            action.setToolTip(f"Not available: {reason}")
            action.setStatusTip(f"Not available: {reason}")
        return action

    def _build_menus(self, overrides: Overrides) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self.lock_action = self._action(file, "&Lock", "Ctrl+L", self.lock_requested.emit)
        self.lock_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)    # from any window
        file.addSeparator()
        self.import_actions: dict[str, QAction] = {}
        for kind in FILE_MENU_KINDS:
            action = self._action(file, kind.menu_text, kind.shortcut, lambda k=kind: self.import_chosen(k),
                                  kind.title)
            self.import_actions[kind.key] = self._gated(action, kind.permission)
        file.setToolTipsVisible(True)
        file.addSeparator()
        self._action(file, "&Quit", "Ctrl+Q", self.close)
        edit = bar.addMenu("&Edit")
        undo = overrides.group.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = overrides.group.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        edit.addActions([undo, redo])
        self.addActions([undo, redo])
        self.undo_action, self.redo_action = undo, redo
        edit.addSeparator()
        self._action(edit, "&Find in queue", "Ctrl+F", self.focus_search)
        view = bar.addMenu("&View")
        self._action(view, "&Queue", "Ctrl+0", self.queue.view.setFocus)
        for number, (tab, name) in enumerate(self._tabs(), start=1):
            self._action(view, name, f"Ctrl+{number}", lambda t=tab: self.show_tab(t))
        self.next_tab_action = self._action(view, "Ne&xt tab", "Ctrl+Tab", lambda: self.request.step_tab(1))
        self.next_tab_action.setShortcuts([QKeySequence("Ctrl+Tab"), QKeySequence("Ctrl+PgDown")])
        self.previous_tab_action = self._action(view, "Previous ta&b", "Ctrl+Shift+Tab",
                                                lambda: self.request.step_tab(-1))
        self.previous_tab_action.setShortcuts([QKeySequence("Ctrl+Shift+Tab"), QKeySequence("Ctrl+PgUp")])
        view.addSeparator()
        self._action(view, "R&eload queue", "Ctrl+R", self.queue.reload)
        self._action(view, "&Sort the queue by the current column", "Ctrl+Shift+B", self.queue.sort_by_current_column)
        view.addSeparator()
        self.high_contrast_action = self._action(view, "&High contrast", "Ctrl+Shift+H", self.toggle_high_contrast,
                                                 "High contrast colours (remembered for you)")
        self.high_contrast_action.setCheckable(True)
        self.high_contrast_action.setChecked(self.appearance.high_contrast)
        self.appearance.changed.connect(lambda _name: self.high_contrast_action.setChecked(
            self.appearance.high_contrast))
        request = bar.addMenu("&Request")
        preview, commands = self.request.preview, self.request.commands
        self._action(request, "&Open selected request", "Ctrl+O", self.queue.open_current)
        self._shared(request, commands["evaluate"])
        request.addSeparator()
        self._action(request, "Show ori&ginal…", "Ctrl+Shift+O", self._in_preview(preview.on_show_original_clicked))
        self._action(request, "&Release element…", "Ctrl+Shift+R",
                     self._in_preview(lambda: preview.on_override_clicked("release")))
        self._action(request, "&Withhold element…", "Ctrl+Shift+W",
                     self._in_preview(lambda: preview.on_override_clicked("withhold")))
        request.addSeparator()
        for key in ("decide", "approve", "issue", "print", "save"):
            self._shared(request, commands[key])
        request.setToolTipsVisible(True)             # a disabled command says why when hovered
        self.toolbar = self.addToolBar("Request")
        self.toolbar.setObjectName("request-toolbar")
        self.toolbar.setAccessibleName("Request commands")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.setMovable(False)
        self.toolbar.addActions(commands.actions())
        tools = bar.addMenu("&Tools")
        self._action(tools, "&Verify the log and signatures", "Ctrl+Shift+V", self.verify)
        self._action(tools, "Verify against &witnesses…", "Ctrl+Shift+K", self.show_verify)
        tools.addSeparator()
        self.orders_action = self._gated(self._action(tools, "Court &orders…", "Ctrl+Shift+C", self.show_orders),
                                         "import-order")
        self.users_action = self._gated(self._action(tools, "&Users…", "Ctrl+Shift+U", self.show_users),
                                        "manage-users")
        self.settings_action = self._gated(self._action(tools, "&Settings…", "Ctrl+,", self.show_settings),
                                           "change-settings")
        self.accounting_action = self._gated(
            self._action(tools, "&Accounting of disclosures…", "Ctrl+Shift+Y", self.show_accounting),
            "read-accounting")
        tools.setToolTipsVisible(True)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Guide", "F1", self.show_guide)
        self._action(help_menu, "&Keyboard shortcuts", "Ctrl+/", self.show_shortcuts)
        help_menu.addSeparator()
        self._action(help_menu, "&About the Disclosure Workstation", "Ctrl+Shift+F1", self.show_about)

    def _tabs(self) -> list[tuple[QWidget, str]]:
        tabs = self.request.tabs
        return [(tabs.widget(i), tabs.tabText(i)) for i in range(tabs.count())]

    def _in_preview(self, slot: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            self.show_tab(self.request.preview)
            slot()

        return run

    # --- slots ---------------------------------------------------------------------------------------
    def start(self) -> None:
        self.queue.reload()
        self.refresh_log_status()
        self._db.call(lambda s: s.witness_status(), self.status.on_witness_outcome_loaded)

    def open_request(self, request_id: str) -> None:
        self.request.open_request(request_id, by_user=True)

    def on_request_loaded(self, request_id: str) -> None:
        self.queue.select(request_id)

    def show_tab(self, tab: QWidget) -> None:
        self.request.show_tab(tab)

    def toggle_high_contrast(self) -> None:
        """The user's choice: applied at once, and kept by the service for the next unlock."""
        on = self.high_contrast_action.isChecked()
        self.appearance.set_preference(on)
        self.status.showMessage(f"High contrast {'on' if on else 'off'}.", STATUS_MESSAGE_MS)
        self._db.call(lambda s: s.set_preference(HIGH_CONTRAST_PREFERENCE, on), lambda _kept: None)

    def focus_search(self) -> None:
        self.queue.search.setFocus()
        self.queue.search.selectAll()

    def refresh_log_status(self) -> None:
        self._db.call(jobs.log_status, self.status.on_log_status_loaded)

    def verify(self) -> None:
        self._db.call(lambda s: s.verify(), self.on_verified, label="Verifying the log and every signature…")

    def on_verified(self, report: object) -> None:
        problems = list(getattr(report, "problems", []))
        text = (f"Verified {getattr(report, 'entries', 0):,} log entries, {getattr(report, 'decisions', 0):,} "
                f"decisions and {getattr(report, 'signatures', 0):,} signatures: "
                + ("everything is intact." if not problems else "PROBLEMS FOUND:\n" + "\n".join(problems)))
        box = QMessageBox(QMessageBox.Icon.Information if not problems else QMessageBox.Icon.Critical,
                          "Verification", text, QMessageBox.StandardButton.Ok, self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self._log_timer.start()

    # --- imports and the administration dialogs ----------------------------------------------------
    def import_chosen(self, kind: ImportKind) -> None:
        self.imports.choose(kind)

    def on_import_finished(self, summary: ImportSummary) -> None:
        self.status.showMessage(describe(summary), STATUS_MESSAGE_MS)
        self.on_store_changed(reevaluate=summary.kind != "request")

    def on_store_changed(self, reevaluate: bool = True) -> None:
        """Records, an order, an agency entry or a setting changed: the queue and the open request (whose
        evaluation is now stale) load again."""
        self.queue.reload()
        if reevaluate:
            self.request.reload()
        self._log_timer.start()

    def _dialog(self, key: str, make: Callable[[], D]) -> D:
        """One window of each kind: shown again (and raised) if it is already open."""
        dialog = self._dialogs.get(key)
        if dialog is None or not shiboken6.isValid(dialog):
            dialog = make()
            self._dialogs[key] = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog  # type: ignore[return-value]

    def show_orders(self) -> OrdersDialog:
        def make() -> OrdersDialog:
            dialog = OrdersDialog(self._db, self)
            dialog.order_imported.connect(self.on_import_finished)
            return dialog

        return self._dialog("orders", make)

    def show_users(self) -> UsersDialog:
        def make() -> UsersDialog:
            dialog = UsersDialog(self._db, self)
            dialog.users_changed.connect(lambda _name: self._log_timer.start())
            return dialog

        return self._dialog("users", make)

    def show_settings(self) -> SettingsDialog:
        def make() -> SettingsDialog:
            dialog = SettingsDialog(self._db, self)
            dialog.settings_saved.connect(lambda _keys: self.on_store_changed())
            return dialog

        return self._dialog("settings", make)

    def show_accounting(self) -> AccountingDialog:
        def make() -> AccountingDialog:
            dialog = AccountingDialog(self._db, self)
            dialog.accounting_exported.connect(lambda _year, _path: self._log_timer.start())
            return dialog

        return self._dialog("accounting", make)

    def show_verify(self) -> VerifyDialog:
        def make() -> VerifyDialog:
            dialog = VerifyDialog(self._db, self)
            dialog.verified.connect(lambda _intact: self._log_timer.start())
            return dialog

        return self._dialog("verify", make)

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self.menuBar(), self).open()

    def show_guide(self) -> GuideDialog:
        return self._dialog("guide", lambda: GuideDialog(self))

    def show_about(self) -> AboutDialog:
        def make() -> AboutDialog:
            about = AboutDialog(self.info.store, self)
            workstation = self._db.workstation                # the report needs no session: `dws crypto report`
            self._db.run(lambda _ctx: workstation.crypto_report(), about.crypto.show_report,
                         lambda failure: about.crypto.show_failure(failure.message), owner=about.crypto)
            return about

        return self._dialog("about", make)

    def on_failure_reported(self, failure: Failure) -> None:
        show_failure(self, failure)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closed.emit()
        super().closeEvent(event)
