"""Tools › Users (admin): the users and their roles, enrolling a user (with a signing key in their keyslot, or
on a smart card through PKCS#11), and resetting a user's passphrase (which gives them a new signing key, unless
it is on a card). Passphrases are typed twice, never echoed, never logged; the card's PIN is typed once, to
read and prove the card's key, and never kept; the fields are emptied once used and whenever the dialog is
hidden (the lock screen hides it)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QMessageBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from workstation.keys.pkcs11 import TokenRef
from workstation.model import USER_ROLES, UserInfo

from .a11y import fit_to_screen
from .database import DbClient
from .dialog_parts import buddy, button, close_row, passphrase_field, status_line, table_view
from .failures import Failure, show_failure
from .rows_model import Column, RowsModel

COLUMNS: tuple[Column[UserInfo], ...] = (
    Column("User", lambda u: u.name),
    Column("Role", lambda u: u.role),
    Column("Signing key fingerprint", lambda u: u.fingerprint),
    Column("Key in", lambda u: u.key_location),
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
        self.on_card = QCheckBox("&Key on a smart card (PKCS#11)")
        self.on_card.setAccessibleDescription("The new user's signing key is on a smart card (PKCS#11)")
        self.on_card.setToolTip("The user still unlocks the store with the passphrase, and signs with the card's "
                                "PIN. A PIV card is used through OpenSC's opensc-pkcs11.so.")
        self.module = QLineEdit()
        self.module.setAccessibleName("PKCS#11 module path")
        self.module.setPlaceholderText("/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so")
        self.token_label = QLineEdit()
        self.token_label.setAccessibleName("Token label")
        self.key_label = QLineEdit()
        self.key_label.setAccessibleName("Key label")
        self.key_label.setPlaceholderText("the CKA_LABEL of the user's P-256 key, e.g. SIGN key")
        self.pin = passphrase_field("Card PIN (to read and prove the card's key; not kept)")
        self.card_fields = (self.module, self.token_label, self.key_label, self.pin)
        self.on_card.toggled.connect(self._show_card_fields)
        self.add_button = button("&Add user", "Add the user", self.on_add_clicked)
        add_form = QFormLayout()
        add_form.addRow(buddy("&Name:", self.name), self.name)
        add_form.addRow(buddy("&Role:", self.role), self.role)
        add_form.addRow(buddy("&Passphrase:", self.passphrase), self.passphrase)
        add_form.addRow(buddy("Rep&eat passphrase:", self.repeat), self.repeat)
        add_form.addRow("", self.on_card)
        add_form.addRow(buddy("PKCS#11 &module:", self.module), self.module)
        add_form.addRow(buddy("Token &label:", self.token_label), self.token_label)
        add_form.addRow(buddy("Ke&y label:", self.key_label), self.key_label)
        add_form.addRow(buddy("Card P&IN:", self.pin), self.pin)
        add_form.addRow("", self.add_button)
        self._show_card_fields(False)
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
        forms = QWidget()
        forms_layout = QVBoxLayout(forms)
        forms_layout.setContentsMargins(0, 0, 0, 0)
        forms_layout.addWidget(add_box)
        forms_layout.addWidget(reset_box)
        scroll = QScrollArea()                 # on a small screen (or at 200 %) the forms scroll, Tab follows
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        scroll.setWidget(forms)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(scroll, 2)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        fit_to_screen(self, 760, 760)
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

    def _show_card_fields(self, on: bool) -> None:
        for field in self.card_fields:
            field.setEnabled(on)
        if not on:
            self.pin.clear()

    def _show_selected(self) -> None:
        name = self.selected_user()
        self.selected.setText(name or "select a user in the list above")
        self.reset_button.setEnabled(name is not None)

    # --- adding ----------------------------------------------------------------------------------
    def on_add_clicked(self) -> None:
        passphrase, repeat, pin = self.passphrase.text(), self.repeat.text(), self.pin.text()
        self.passphrase.clear()
        self.repeat.clear()
        self.pin.clear()
        if passphrase != repeat:
            self.status.setText(DIFFERENT)
            self.passphrase.setFocus()
            return
        token = None
        if self.on_card.isChecked():
            token = TokenRef(self.module.text().strip(), self.token_label.text().strip(), self.key_label.text().strip())
            if not (token.module and token.token_label and token.key_label and pin):
                self.status.setText("A key on a smart card needs the module, the token label, the key label and "
                                    "the card's PIN.")
                return
        self.add_user(self.name.text().strip(), self.role.currentText(), passphrase, token, pin)

    def add_user(self, name: str, role: str, passphrase: str, token: TokenRef | None = None, pin: str = "") -> None:
        self.status.setText(f"Adding user {name}…")
        if token is None:
            job = lambda s: s.add_user(name, role, passphrase)  # noqa: E731
        else:
            job = lambda s: s.add_token_user(name, role, passphrase, token, pin)  # noqa: E731
        self._db.call(job, self.on_user_added, lambda failure: self.on_failed("Add a user", failure),
                      label=f"Enrolling user {name} (deriving the key from the passphrase"
                      + (", reading the card" if token else "") + ")…", owner=self)

    def on_user_added(self, user: UserInfo) -> None:
        self.name.clear()
        where = f" on the {user.key_location}" if user.token is not None else ""
        self.status.setText(f"User {user.name} ({user.role}) added; signing key {user.fingerprint}{where}.")
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
        if user.token is not None:
            self.status.setText(f"{user.name} has a new passphrase; their signing key stays on the "
                                f"{user.key_location}.")
        else:
            self.status.setText(f"{user.name} has a new passphrase and signing key {user.fingerprint}.")
        self.reload(select=user.name)
        self.users_changed.emit(user.name)

    # --- both ------------------------------------------------------------------------------------
    def on_failed(self, title: str, failure: Failure) -> None:
        self.status.setText(failure.message)
        show_failure(self, failure, title)

    def hideEvent(self, event: QHideEvent) -> None:
        for field in (self.passphrase, self.repeat, self.new_passphrase, self.new_repeat, self.pin):
            field.clear()
        super().hideEvent(event)
