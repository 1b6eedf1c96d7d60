"""Tools › Settings (admin or counsel): the store's settings — rule thresholds, time limits, the idle lock, the
office details letters carry — edited and saved through the service, which checks and logs each change.

Who may change what is the service's rule (`Session.setting_refusal`): a setting this user may not change is
shown read-only with the reason; a change the service refuses on saving is shown with its message and the
other changes still land."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from . import jobs
from .a11y import fit_to_screen
from .database import DbClient
from .dialog_parts import button, close_row, status_line
from .failures import Failure, show_failure
from .jobs import SettingRow
from .labels import plain_label, safe_tooltip

SPIN_MAX = 1_000_000_000
LIST_LINES = 4


def title(key: str) -> str:
    return key.replace("_", " ").capitalize().replace("Foia ", "FOIA ")


def shown(value: Any) -> str:
    return "; ".join(value) if isinstance(value, list) else str(value)


class SettingEditor:
    """One setting's field: a spin box for numbers, a box of lines for lists, a line for text."""

    def __init__(self, row: SettingRow) -> None:
        self.row = row
        self.widget: QSpinBox | QPlainTextEdit | QLineEdit
        if isinstance(row.value, int) and not isinstance(row.value, bool):
            spin = QSpinBox()
            spin.setRange(0, SPIN_MAX)
            spin.setGroupSeparatorShown(True)
            spin.setValue(row.value)
            self.widget = spin
        elif isinstance(row.value, list):
            lines = QPlainTextEdit("\n".join(str(v) for v in row.value))
            lines.setTabChangesFocus(True)
            lines.setFixedHeight(lines.fontMetrics().lineSpacing() * LIST_LINES + 12)
            self.widget = lines
        else:
            self.widget = QLineEdit(str(row.value))
        self.widget.setAccessibleName(title(row.key))
        tip = f"{row.key} — default: {shown(row.default)}"
        if isinstance(row.value, list):
            tip += " (one entry per line)"
        if row.refusal:
            tip += f"\nRead-only: {row.refusal}"
        self.widget.setToolTip(safe_tooltip(tip))
        if row.refusal:                  # read-only, not disabled: a long list can still be scrolled and read
            self.widget.setReadOnly(True)
            if isinstance(self.widget, QSpinBox):
                self.widget.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons)

    def value(self) -> Any:
        w = self.widget
        if isinstance(w, QSpinBox):
            return w.value()
        if isinstance(w, QPlainTextEdit):
            return [line.strip() for line in w.toPlainText().splitlines() if line.strip()]
        return w.text().strip()

    @property
    def changed(self) -> bool:
        return self.row.refusal is None and self.value() != self.row.value


class SettingsDialog(QDialog):
    settings_saved = Signal(object)          # tuple of the keys that changed

    def __init__(self, db: DbClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self.setWindowTitle("Settings")
        self.setAccessibleName("Settings")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.editors: dict[str, SettingEditor] = {}
        intro = plain_label("Every change is checked and written to the audit log, and makes stored evaluations "
                            "stale (requests are checked again when opened). Rule thresholds belong to counsel; "
                            "settings fixed by the office policy cannot be changed here. A new idle-lock time "
                            "applies from the next unlock.")
        self._form_host = QWidget()
        self._form = QFormLayout(self._form_host)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._form_host)
        scroll.setAccessibleName("Settings")
        self.status = status_line("Settings status")
        self.save_button = button("&Save changes", "Save the changed settings", self.on_save_clicked)
        self.save_button.setEnabled(False)
        buttons = close_row(self, self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        fit_to_screen(self, 720, 720)
        self.reload()

    def reload(self) -> None:
        self._db.call(jobs.setting_rows, self.on_settings_loaded, owner=self)

    def on_settings_loaded(self, rows: tuple[SettingRow, ...]) -> None:
        while self._form.rowCount():
            self._form.removeRow(0)
        self.editors = {row.key: SettingEditor(row) for row in rows}
        for editor in self.editors.values():
            label = plain_label(title(editor.row.key) + (" (read-only):" if editor.row.refusal else ":"))
            label.setWordWrap(False)
            label.setToolTip(editor.widget.toolTip())
            label.setBuddy(editor.widget)
            self._form.addRow(label, editor.widget)
        self.save_button.setEnabled(any(row.refusal is None for row in rows))

    def changes(self) -> tuple[tuple[str, Any], ...]:
        return tuple((key, editor.value()) for key, editor in self.editors.items() if editor.changed)

    def on_save_clicked(self) -> None:
        changes = self.changes()
        if not changes:
            self.status.setText("Nothing to save: no setting was changed.")
            return
        self.save_button.setEnabled(False)
        self._db.call(jobs.change_settings(changes), self.on_settings_saved,
                      self.on_save_failed, label="Saving settings…", owner=self)

    def on_save_failed(self, failure: Failure) -> None:
        show_failure(self, failure, "Settings")
        self.reload()

    def on_settings_saved(self, outcomes: tuple[tuple[str, str | None], ...]) -> None:
        saved = tuple(key for key, refusal in outcomes if refusal is None)
        refused = [(key, refusal) for key, refusal in outcomes if refusal is not None]
        text = f"Saved: {', '.join(title(k) for k in saved)}." if saved else "Nothing was saved."
        self.status.setText(text + (f" Not saved: {', '.join(title(k) for k, _r in refused)}." if refused else ""))
        if refused:
            box = QMessageBox(QMessageBox.Icon.Warning, "Settings not saved",
                              "\n".join(f"{title(key)}: {refusal}" for key, refusal in refused),
                              QMessageBox.StandardButton.Ok, self)
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.setWindowModality(Qt.WindowModality.WindowModal)
            box.open()
        self.reload()
        if saved:
            self.settings_saved.emit(saved)
