"""The request view: tabs Overview, Checks, Subjects, Redaction preview, Decision, Letter.

Opening a request is one worker job (the package, its evaluation — reused when fresh — its overrides and
decision); it shows progress and Cancel only when the evaluation has to be computed. Each tab gets the same
frozen snapshot; subject rows and previews are fetched as they are looked at.

The view owns the request's commands (`RequestCommands`: Re-evaluate, Sign, Approve, Issue letter, Print,
Save), one QAction each, which the main window puts in its Request menu and toolbar and the tabs on their
buttons; each tab enables its own from the snapshot (what the service says the user may do now).

The keyboard: `show_tab` (Ctrl+1…6, Ctrl+Tab / Ctrl+PageDown and back) brings a tab to the front, says its name
and puts the focus on its first control; a request the user opens takes the focus to its Overview and is
announced (its id, the recommendation, how many subjects).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QStackedLayout, QTabWidget, QVBoxLayout, QWidget

from . import jobs
from .a11y import announce, focus_first
from .capabilities import Capabilities
from .checks_tab import ChecksTab
from .clipboard import ClipboardGuard
from .commands import RequestCommands
from .database import DbClient
from .decision_tab import DecisionTab
from .labels import plain_label
from .letter_tab import LetterTab
from .overrides import Overrides
from .overview_tab import OverviewTab, overview_values
from .preview_tab import PreviewTab
from .subjects_panel import SubjectsPanel
from .values import RequestSnapshot, SessionInfo

TAB_NAMES = ("&Overview", "&Checks", "S&ubjects", "Redaction &preview", "&Decision", "&Letter")


class RequestView(QWidget):
    request_loaded = Signal(str)
    log_written = Signal()

    def __init__(self, db: DbClient, caps: Capabilities, info: SessionInfo, overrides: Overrides,
                 clipboard: ClipboardGuard, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self._overrides = overrides
        self.snapshot: RequestSnapshot | None = None
        self.as_of: date | None = None
        self._loading: str | None = None
        self._announce: str | None = None            # the request the user opened: focus and announce it
        self.overview = OverviewTab()
        self.checks = ChecksTab(db)
        self.subjects = SubjectsPanel(db, "Subjects")
        self.preview = PreviewTab(db, overrides, clipboard)
        self.commands = RequestCommands(info.signing_secret, self)
        self.decision = DecisionTab(db, caps, info, self.commands)
        self.letter = LetterTab(db, caps, self.commands, info.key_on_card, clipboard)
        self._connect_commands()
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Request")
        self.tabs.tabBar().setAccessibleName("Request tabs")
        for widget, name in zip((self.overview, self.checks, self.subjects, self.preview, self.decision,
                                 self.letter), TAB_NAMES, strict=True):
            self.tabs.addTab(widget, name)
        self.placeholder = plain_label("No request is open. Open one from the queue (select it and press Enter).")
        self._stack = QStackedLayout()
        self._stack.addWidget(self.placeholder)
        self._stack.addWidget(self.tabs)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._stack)
        self.subjects.subject_selected.connect(self.preview.on_subject_selected)
        self.checks.subject_selected.connect(self.preview.on_subject_selected)
        self.subjects.view.activated.connect(lambda _i: self.show_tab(self.preview))
        overrides.overrides_changed.connect(self.on_overrides_changed)
        self.decision.decision_signed.connect(self.on_decision_signed)
        self.preview.original_shown.connect(self.log_written)

    def _connect_commands(self) -> None:
        """What each command does: the tab it belongs to comes to the front (from the menu, the toolbar or the
        shortcut, wherever the focus was), then its handler runs."""
        handlers = {"evaluate": (None, self.reload),
                    "decide": (self.decision, self.decision.on_sign_clicked),
                    "approve": (self.decision, self.decision.on_approve_clicked),
                    "issue": (self.letter, self.letter.on_issue_clicked),
                    "print": (self.letter, self.letter.on_print_clicked),
                    "save": (self.letter, self.letter.on_save_clicked)}
        for key, (tab, handler) in handlers.items():
            self.commands[key].triggered.connect(lambda _checked=False, t=tab, h=handler: self._run(t, h))

    def _run(self, tab: QWidget | None, handler: Callable[[], None]) -> None:
        if self.snapshot is None:
            return
        if tab is not None and self.tabs.currentWidget() is not tab:
            self.show_tab(tab)
        handler()

    def show_tab(self, tab: QWidget) -> None:
        """Bring `tab` to the front, say its name, and focus its first control (never the page itself)."""
        if self.snapshot is None:
            return
        self.tabs.setCurrentWidget(tab)
        announce(self.tabs, f"{self.tabs.tabText(self.tabs.currentIndex()).replace('&', '')} tab")
        focus_first(tab)

    def step_tab(self, step: int) -> None:
        """The next (+1) or previous (-1) tab, round."""
        if self.snapshot is not None:
            self.show_tab(self.tabs.widget((self.tabs.currentIndex() + step) % self.tabs.count()))

    @property
    def request_id(self) -> str | None:
        return self.snapshot.request_id if self.snapshot else None

    def open_request(self, request_id: str, as_of: date | None = None, *, by_user: bool = False) -> None:
        """Load (and, if stale, evaluate) the request; tabs fill in when it arrives. `by_user`: the user opened
        it (from the queue), so the focus goes to it and it is announced once it is shown."""
        self.as_of = as_of
        self._loading = request_id
        if by_user:
            self._announce = request_id
        self._db.run(jobs.load_request(request_id, as_of), self.on_request_loaded,
                     label=f"Opening and checking request {request_id}…", cancellable=True, owner=self)

    def reload(self) -> None:
        if self.snapshot is not None:
            self.open_request(self.snapshot.request_id, self.as_of)

    def on_request_loaded(self, snapshot: RequestSnapshot) -> None:
        if snapshot.request_id != self._loading:
            return
        same = self.snapshot is not None and self.snapshot.request_id == snapshot.request_id
        before = overview_values(self.snapshot)["Recommendation"] if same and self.snapshot else None
        self.snapshot = snapshot
        self._overrides.activate(snapshot.request_id)
        self.overview.show_snapshot(snapshot)
        self.checks.show_snapshot(snapshot)
        self.subjects.show_request(snapshot.request_id, snapshot.evaluation.subjects)
        self.preview.show_snapshot(snapshot)
        self.decision.show_snapshot(snapshot)
        self.letter.show_snapshot(snapshot)
        self.commands.gate("evaluate", snapshot.actions.evaluate.reason)
        self._stack.setCurrentWidget(self.tabs)
        if not same:
            self.tabs.setCurrentWidget(self.overview)
        if self._announce == snapshot.request_id:
            self._announce = None
            values = overview_values(snapshot)
            announce(self.tabs, f"Request {snapshot.request_id} open. Recommendation: {values['Recommendation']}. "
                                f"Subjects: {values['Subjects']}.")
            focus_first(self.tabs.currentWidget())
        elif before is not None and before != overview_values(snapshot)["Recommendation"]:
            announce(self.tabs, f"Recommendation now: {overview_values(snapshot)['Recommendation']}.")
        self.request_loaded.emit(snapshot.request_id)
        self.log_written.emit()

    def on_overrides_changed(self, request_id: str) -> None:
        if request_id == self.request_id:
            self.reload()

    def on_decision_signed(self, request_id: str) -> None:
        if request_id == self.request_id:
            self.reload()
