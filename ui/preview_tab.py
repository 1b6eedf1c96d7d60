"""The Redaction preview tab: for one subject, each requested element as it would leave the building, or a
black bar with its withholding label. "Show original…" asks why and is logged; Release/Withhold record a
reviewer override with a reason (undoable from Edit › Undo)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workstation.model import SubjectRow
from workstation.redaction.preview import PreviewField

from . import appearance
from .clipboard import ClipboardGuard, GuardedTableView
from .database import DbClient
from .labels import InfoLabel
from .original_dialog import OriginalDialog
from .overrides import Overrides
from .rows_model import Column, RowsModel
from .values import OverrideEntry, RequestSnapshot

LOAD_DELAY_MS = 150        # wait for the selection to settle: every preview is logged as a view


def _redaction_style(field: PreviewField, column: int, role: int) -> object:
    """A withheld element is a bar, in the theme's redaction colours (visible against the table in every theme)."""
    if column == 1 and not field.released:
        if role == Qt.ItemDataRole.BackgroundRole:
            return appearance.current().color("redaction_bar")
        if role == Qt.ItemDataRole.ForegroundRole:
            return appearance.current().color("redaction_text")
    return None


class PreviewTab(QWidget):
    original_shown = Signal()

    def __init__(self, db: DbClient, overrides: Overrides, clipboard: ClipboardGuard,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db, self._overrides, self._clipboard = db, overrides, clipboard
        self._request_id: str | None = None
        self._subject: tuple[int, str] | None = None
        self._loaded: tuple[str, int] | None = None
        self.original_dialog: OriginalDialog | None = None
        self.title = InfoLabel("", "Select a subject in the Subjects or Checks tab, or find one here.")
        # Pick a subject of a many-subject request by its reference or name (issue 18 item 12)
        self.find = QLineEdit()
        self.find.setPlaceholderText("Reference or name")
        self.find.setAccessibleName("Find a subject by reference or name")
        self.find.setClearButtonEnabled(True)
        self.find.returnPressed.connect(self.on_find_clicked)
        self.find_button = self._button("Find", "Find the subject", self.on_find_clicked)
        self.matches = QComboBox()
        self.matches.setAccessibleName("Subjects found")
        self.matches.setMinimumContentsLength(28)
        self.matches.setEnabled(False)
        self.matches.activated.connect(self.on_match_chosen)
        self.fields = RowsModel[PreviewField]((
            Column("Element", lambda f: f.item),
            Column("As it would be released", lambda f: f.text, tooltip=True),
            Column("Withholding code", lambda f: f.code or ""),
        ), parent=self, style=_redaction_style)
        self.view = GuardedTableView()
        self.view.setTabKeyNavigation(False)      # Tab leaves the table; the arrow keys move in it
        self.view.setAccessibleName("Redaction preview")
        self.view.setModel(self.fields)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.copy_requested.connect(self.on_copy_requested)
        self.show_original = self._button("Show orig&inal…", "Show the original values (logged)",
                                          self.on_show_original_clicked)
        self.release = self._button("Rele&ase element…", "Release the selected element (override)",
                                    lambda: self.on_override_clicked("release"))
        self.withhold = self._button("Withhold ele&ment…", "Withhold the selected element (override)",
                                     lambda: self.on_override_clicked("withhold"))
        self.every_subject = QCheckBox("Override for every su&bject of the request")
        self.every_subject.setAccessibleDescription("Apply the override to every subject of the request")
        self.history = RowsModel[OverrideEntry]((
            Column("#", lambda o: str(o.id), sort=lambda o: o.id),
            Column("Subject", lambda o: o.ref or "every subject"),
            Column("Element", lambda o: o.item),
            Column("Action", lambda o: o.action),
            Column("Reason", lambda o: o.reason, tooltip=True),
            Column("By", lambda o: o.by),
            Column("At", lambda o: o.at),
            Column("Undone", lambda o: o.undone_at or ""),
        ), parent=self)
        history_view = QTableView()
        history_view.setTabKeyNavigation(False)      # Tab leaves the table; the arrow keys move in it
        history_view.setAccessibleName("Overrides of this request")
        history_view.setModel(self.history)
        history_view.verticalHeader().hide()
        history_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        history_view.horizontalHeader().setStretchLastSection(True)
        buttons = QHBoxLayout()
        for button in (self.show_original, self.release, self.withhold):
            buttons.addWidget(button)
        buttons.addWidget(self.every_subject)
        buttons.addStretch(1)
        history = QGroupBox("Overrides (Edit › Undo / Redo)")
        QVBoxLayout(history).addWidget(history_view)
        finder = QHBoxLayout()
        finder_label = QLabel("Find sub&ject:")
        finder_label.setBuddy(self.find)
        matches_label = QLabel("Found:")          # a combo box's name on Linux comes from its label (AT-SPI)
        matches_label.setBuddy(self.matches)
        for widget in (finder_label, self.find, self.find_button, matches_label, self.matches):
            finder.addWidget(widget)
        finder.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(finder)
        layout.addWidget(self.title)
        layout.addWidget(self.view, 2)
        layout.addLayout(buttons)
        layout.addWidget(history, 1)
        self._load_timer = QTimer(self)
        self._load_timer.setSingleShot(True)
        self._load_timer.setInterval(LOAD_DELAY_MS)
        self._load_timer.timeout.connect(self.load_if_due)

    def _button(self, text: str, what: str, slot: object) -> QPushButton:
        button = QPushButton(text)                 # its name is what it shows; what it does is its description
        button.setAccessibleDescription(what)
        button.setToolTip(what)
        button.clicked.connect(slot)
        return button

    # --- what is shown ---------------------------------------------------------------------------------
    def show_snapshot(self, snapshot: RequestSnapshot) -> None:
        if snapshot.request_id != self._request_id:
            self._subject = None
            self.fields.set_rows(())
            self.matches.clear()
            self.matches.setEnabled(False)
        self._request_id = snapshot.request_id
        self._loaded = None                      # a new evaluation: the plan may have changed
        self.history.set_rows(snapshot.overrides)
        self._load_timer.start()

    def on_find_clicked(self) -> None:
        text, rid = self.find.text().strip(), self._request_id
        if not text or rid is None:
            return
        self._db.call(lambda s: tuple(s.find_subjects(rid, text)), lambda rows: self.on_found(rid, rows), owner=self)

    def on_found(self, request_id: str, rows: tuple[SubjectRow, ...]) -> None:
        if request_id != self._request_id:
            return
        self.matches.clear()
        for row in rows:
            self.matches.addItem(f"no. {row.seq + 1:,} — reference {row.ref} ({row.status})", (row.seq, row.ref))
        self.matches.setEnabled(bool(rows))
        if not rows:
            self.matches.addItem("no subject found")
            self.title.setText(f"No subject of {request_id} has that reference or name.")
            return
        self.on_match_chosen(0)
        if len(rows) > 1:
            self.matches.setFocus()

    def on_match_chosen(self, index: int) -> None:
        data = self.matches.itemData(index)
        if data is not None:
            self.on_subject_selected(*data)

    def on_subject_selected(self, seq: int, ref: str) -> None:
        if self._subject != (seq, ref):
            self._subject = (seq, ref)
            self._load_timer.start()

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self._load_timer.start()

    def load_if_due(self) -> None:
        """Fetch the preview when the tab is visible and the subject changed (each fetch is logged)."""
        if not self.isVisible() or self._request_id is None or self._subject is None:
            return
        rid, (seq, ref) = self._request_id, self._subject
        if self._loaded == (rid, seq):
            return
        self._loaded = (rid, seq)
        self.title.setText(f"Subject {seq + 1:,} (reference {ref}) of {rid}: as it would be released")
        self._db.call(lambda s: tuple(s.preview(rid, seq)), lambda f: self.on_preview_loaded(rid, seq, f),
                      owner=self)

    def on_preview_loaded(self, request_id: str, seq: int, fields: tuple[PreviewField, ...]) -> None:
        if self._request_id == request_id and self._subject and self._subject[0] == seq:
            self.fields.set_rows(fields)
            if fields:
                self.view.selectRow(0)

    def selected_field(self) -> PreviewField | None:
        index = self.view.currentIndex()
        return self.fields.row_at(index.row()) if index.isValid() else None

    # --- actions ---------------------------------------------------------------------------------------
    def on_copy_requested(self) -> None:
        field = self.selected_field()
        if field is not None:
            self._clipboard.copy_sensitive(f"{field.item}: {field.text}")

    def on_show_original_clicked(self) -> None:
        if self._request_id is None or self._subject is None:
            return
        reason, ok = QInputDialog.getText(self, "Show original", "Why do you need the unredacted values? "
                                          "(logged with your name; at least 10 characters)",
                                          QLineEdit.EchoMode.Normal)
        if ok:
            self.request_original(reason)

    def request_original(self, reason: str) -> None:
        if self._request_id is None or self._subject is None:
            return
        rid, (seq, ref) = self._request_id, self._subject
        self._db.call(lambda s: tuple(s.show_original(rid, seq, reason)),
                      lambda values: self.on_original_loaded(rid, ref, values), owner=self)

    def on_original_loaded(self, request_id: str, ref: str, values: tuple[tuple[str, str], ...]) -> None:
        if self.original_dialog is not None:
            self.original_dialog.close()
        self.original_dialog = OriginalDialog(request_id, ref, values, self._clipboard, self)
        self.original_dialog.show()
        self.original_shown.emit()

    def on_override_clicked(self, action: str) -> None:
        field = self.selected_field()
        if field is None or self._request_id is None or self._subject is None:
            return
        # the subject's reference came from a request file: keep it out of a label Qt might read as rich text
        who = "every subject" if self.every_subject.isChecked() else f"subject no. {self._subject[0] + 1:,}"
        reason, ok = QInputDialog.getText(self, f"{action.capitalize()} {field.item}",
                                          f"Reason to {action} {field.item} for {who} (at least 10 characters; "
                                          "no identifiers):")
        if ok:
            self.request_override(action, field.item, reason)

    def request_override(self, action: str, item: str, reason: str) -> None:
        if self._request_id is None or self._subject is None:
            return
        ref = None if self.every_subject.isChecked() else self._subject[1]
        self._overrides.add(self._request_id, ref, item, action, reason)
