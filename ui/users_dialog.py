"""Tools › Users (admin): the users and their roles, enrolling a user, and resetting a user's passphrase (which
gives them a new signing key). Passphrases are typed twice, never echoed, never logged, and the fields are
emptied once used and whenever the dialog is hidden (the lock screen hides it)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from workstation.model import USER_ROLES, UserInfo

from .database import DbClient
from .dialog_parts import buddy, button, close_row, passphrase_field, status_line, table_view
from .failures import Failure, show_failure
from .rows_model import Column, RowsModel

COLUMNS: tuple[Column[UserInfo], ...] = (
    Column("User", lambda u: u.name),
    Column("Role", lambda u: u.role),
    Column("Signing key fingerprint", lambda u: u.fingerprint),
    Column("Active", lambda u: "yes" if u.active else "no"),
)
DIFFERENT = "The two passphrases are not the same; type the passphrase again in both fields."


class UsersDialog(QDialog):
    users_changed = Signal(str)          # the user added or reset

    def __init__(self, db: DbClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self.setWindowTitle("Users")
        self.setAccessibleName("Users")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.users = RowsModel[UserInfo](COLUMNS, (), self)
        self.table = table_view(self.users, "Users and their roles")
        self.table.selectionModel().selectionChanged.connect(lambda _s, _d: self._show_selected())

        self.name = QLineEdit()
        self.name.setAccessibleName("New user's name")
        self.name.setPlaceholderText("lower-case letters, digits, '.', '_' or '-'")
        self.role = QComboBox()
        self.role.setAccessibleName("New user's role")
        self.role.addItems(USER_ROLES)
        self.passphrase = passphrase_field("New user's passphrase")
        self.repeat = passphrase_field("New user's passphrase again")
        self.add_button = button("&Add user", "Add the user", self.on_add_clicked)
        add_form = QFormLayout()
        add_form.addRow(buddy("&Name:", self.name), self.name)
        add_form.addRow(buddy("&Role:", self.role), self.role)
        add_form.addRow(buddy("&Passphrase:", self.passphrase), self.passphrase)
        add_form.addRow(buddy("Rep&eat passphrase:", self.repeat), self.repeat)
        add_form.addRow("", self.add_button)
        add_box = QGroupBox("Add a user")
        add_box.setLayout(add_form)

        self.selected = status_line("User whose passphrase would be reset")
        self.new_passphrase = passphrase_field("Reset: new passphrase")
        self.new_repeat = passphrase_field("Reset: new passphrase again")
        self.reset_button = button("Re&set passphrase…", "Reset the selected user's passphrase and signing key",
                                   self.on_reset_clicked)
        reset_form = QFormLayout()
        reset_form.addRow("User:", self.selected)
        reset_form.addRow(buddy("Ne&w passphrase:", self.new_passphrase), self.new_passphrase)
        reset_form.addRow(buddy("Repea&t new passphrase:", self.new_repeat), self.new_repeat)
        reset_form.addRow("", self.reset_button)
        reset_box = QGroupBox("Reset the selected user's passphrase (also gives a new signing key)")
        reset_box.setLayout(reset_form)

        self.status = status_line("Users status")
        buttons = close_row(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(add_box)
        layout.addWidget(reset_box)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(720, 640)
        self._show_selected()
        self.reload()

    # --- the list --------------------------------------------------------------------------------
    def reload(self, select: str | None = None) -> None:
        self._db.call(lambda s: tuple(s.users()), lambda users: self.on_users_loaded(users, select), owner=self)

    def on_users_loaded(self, users: tuple[UserInfo, ...], select: str | None = None) -> None:
        self.users.set_rows(users)
        for row, user in enumerate(users):
            if user.name == select:
                self.table.selectRow(row)
        self._show_selected()

    def selected_user(self) -> str | None:
        """The user chosen in the list (an explicit selection, not merely the row the focus landed on)."""
        rows = self.table.selectionModel().selectedRows()
        return self.users.row_at(rows[0].row()).name if rows else None

    def _show_selected(self) -> None:
        name = self.selected_user()
        self.selected.setText(name or "select a user in the list above")
        self.reset_button.setEnabled(name is not None)

    # --- adding ----------------------------------------------------------------------------------
    def on_add_clicked(self) -> None:
        passphrase, repeat = self.passphrase.text(), self.repeat.text()
        self.passphrase.clear()
        self.repeat.clear()
        if passphrase != repeat:
            self.status.setText(DIFFERENT)
            self.passphrase.setFocus()
            return
        self.add_user(self.name.text().strip(), self.role.currentText(), passphrase)

    def add_user(self, name: str, role: str, passphrase: str) -> None:
        self.status.setText(f"Adding user {name}…")
        self._db.call(lambda s: s.add_user(name, role, passphrase), self.on_user_added,
                      lambda failure: self.on_failed("Add a user", failure),
                      label=f"Enrolling user {name} (deriving the key from the passphrase)…", owner=self)

    def on_user_added(self, user: UserInfo) -> None:
        self.name.clear()
        self.status.setText(f"User {user.name} ({user.role}) added; signing key {user.fingerprint}.")
        self.reload(select=user.name)
        self.users_changed.emit(user.name)

    # --- resetting -------------------------------------------------------------------------------
    def on_reset_clicked(self) -> None:
        name = self.selected_user()
        passphrase, repeat = self.new_passphrase.text(), self.new_repeat.text()
        self.new_passphrase.clear()
        self.new_repeat.clear()
        if name is None:
            return
        if passphrase != repeat:
            self.status.setText(DIFFERENT)
            self.new_passphrase.setFocus()
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Reset passphrase",
                          f"Give {name} this new passphrase and a new signing key? Their old passphrase stops "
                          "working; decisions they signed before stay verifiable.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        yes = box.button(QMessageBox.StandardButton.Yes)
        yes.setText("&Reset")
        box.buttonClicked.connect(lambda button: self.reset_user(name, passphrase) if button is yes else None)
        box.open()

    def reset_user(self, name: str, passphrase: str) -> None:
        self.status.setText(f"Resetting {name}…")
        self._db.call(lambda s: s.reset_user(name, passphrase), self.on_user_reset,
                      lambda failure: self.on_failed("Reset passphrase", failure),
                      label=f"Resetting the passphrase of {name}…", owner=self)

    def on_user_reset(self, user: UserInfo) -> None:
        self.status.setText(f"{user.name} has a new passphrase and signing key {user.fingerprint}.")
        self.reload(select=user.name)
        self.users_changed.emit(user.name)

    # --- both ------------------------------------------------------------------------------------
    def on_failed(self, title: str, failure: Failure) -> None:
        self.status.setText(failure.message)
        show_failure(self, failure, title)

    def hideEvent(self, event: QHideEvent) -> None:
        for field in (self.passphrase, self.repeat, self.new_passphrase, self.new_repeat):
            field.clear()
        super().hideEvent(event)
