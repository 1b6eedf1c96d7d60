"""Tools menu on a real demo store: court orders (counsel), users (admin), settings (admin or counsel) and the
accounting of disclosures — each gated by role with the service's reason, each change in the audit log."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from guihelp import (  # noqa: F401
    GUI_MARKS,
    WAIT_MS,
    choose_file,
    demo_template_fixture,
    desktop_fixture,
    message_boxes,
    store_fixture,
    unlock,
    wait_idle,
)
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QWidget,
)

from ui.accounting_dialog import AccountingDialog
from ui.app import DesktopApp
from ui.orders_dialog import OrdersDialog
from ui.settings_dialog import SettingsDialog
from ui.shortcuts_dialog import shortcut_rows
from ui.users_dialog import DIFFERENT, UsersDialog
from workstation import clock as clocks
from workstation.demo_store import demo_passphrase
from workstation.errors import AuthError
from workstation.service import Session, Workstation
from workstation.store import auditlog

pytestmark = GUI_MARKS
CONTROLS = (QAbstractButton, QAbstractItemView, QAbstractSpinBox, QComboBox, QLineEdit, QPlainTextEdit)
DATA = Path(__file__).parent / "data" / "intake"
NEW_ORDER = {"format": "dws.court-order/1", "court": "U.S. District Court for the District of Maryland",
             "case_no": "8:26-cv-00042", "caption": "Example Taxpayers v. IRS (test order)", "signed_on": "2026-02-03",
             "effective_from": "2026-02-03", "effective_to": None, "status": "active",
             "enjoined_recipients": ["DHS-USCIS"], "enjoined_purposes": ["*"], "enjoined_items": ["address"],
             "note": "<b>Not rich text</b>"}


def session(store: Workstation, user: str = "otto") -> Session:
    return store.unlock(user, demo_passphrase(user))


def audit(store: Workstation, *events: str) -> list[auditlog.LogEntry]:
    with session(store) as s:
        return [e for e in auditlog.entries(s.conn) if e.event in events]


def mnemonics(dialog: QWidget) -> list[str]:
    texts = [b.text() for b in dialog.findChildren(QAbstractButton) if b.isVisible()]
    texts += [label.text() for label in dialog.findChildren(QLabel) if label.buddy() is not None]
    return [t[t.index("&") + 1].lower() for t in texts if "&" in t]


def assert_keyboard_ready(dialog: QWidget) -> None:
    letters = mnemonics(dialog)
    assert len(letters) == len(set(letters)), f"{dialog.windowTitle()}: two controls share Alt+letter: {letters}"
    unnamed = [type(w).__name__ for w in dialog.findChildren(QWidget)
               if isinstance(w, CONTROLS) and not isinstance(w, QHeaderView) and w.isVisible()
               and not isinstance(w.parent(), QAbstractSpinBox)
               and not w.accessibleName() and not (isinstance(w, QAbstractButton) and w.text())]
    assert unnamed == [], f"{dialog.windowTitle()}: controls without an accessible name: {unnamed}"


def shown(kind: type) -> list[Any]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


def open_dialog(qtbot, action: Any, kind: type) -> Any:  # type: ignore[no-untyped-def]
    """Choose the menu action; the dialog it opens."""
    action.trigger()
    qtbot.waitUntil(lambda: len(shown(kind)) == 1, timeout=WAIT_MS)
    return shown(kind)[0]


# --- role gating -------------------------------------------------------------------------------------

ACTIONS = ("records", "request", "agency", "orders", "users", "settings", "accounting")
ALLOWED = {
    "admin": {"records", "request", "agency", "users", "settings"},
    "rita": {"records", "request", "accounting"},
    "alex": {"accounting"},
    "cora": {"agency", "orders", "settings", "accounting"},
    "otto": {"accounting"},
}


@pytest.mark.parametrize("user", sorted(ALLOWED))
def test_each_role_gets_the_actions_the_service_allows_and_sees_why_not_the_others(
        qtbot, desktop: DesktopApp, user: str) -> None:
    window = unlock(qtbot, desktop, user)
    actions = {**window.import_actions, "orders": window.orders_action, "users": window.users_action,
               "settings": window.settings_action, "accounting": window.accounting_action}
    assert set(actions) == set(ACTIONS)
    assert {key for key, action in actions.items() if action.isEnabled()} == ALLOWED[user]
    for key, action in actions.items():
        if not action.isEnabled():
            assert action.toolTip().startswith("Not available: only a") and action.statusTip() == action.toolTip()
            assert f"(you are {desktop.info.role})" in action.toolTip(), key
    notes = {r[1]: r[3] for r in shortcut_rows(window.menuBar())}
    assert notes["Court orders…"] == ("" if "orders" in ALLOWED[user] else window.orders_action.statusTip())


def test_a_reviewer_cannot_open_the_court_orders_even_by_shortcut(qtbot, desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "rita")
    assert not window.orders_action.isEnabled()
    assert "only a counsel user may import or change court orders (you are reviewer)" in window.orders_action.toolTip()
    window.activateWindow()
    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window.queue.view, Qt.Key.Key_C, ctrl_shift)
    window.orders_action.trigger()          # a disabled action does nothing even when triggered
    qtbot.wait(50)
    assert shown(OrdersDialog) == []


# --- court orders ------------------------------------------------------------------------------------

def test_counsel_imports_a_court_order_through_the_dialog(qtbot, desktop: DesktopApp, store: Workstation,
                                                          tmp_path: Path, qtmodeltester) -> None:
    path = tmp_path / "order-8-26-cv-00042.json"
    path.write_text(json.dumps(NEW_ORDER), encoding="utf-8")
    window = unlock(qtbot, desktop, "cora")
    dialog = open_dialog(qtbot, window.orders_action, OrdersDialog)
    qtbot.waitUntil(lambda: dialog.orders.rowCount() == 3, timeout=WAIT_MS)
    assert dialog.status.text() == "3 court orders in the register."
    assert_keyboard_ready(dialog)
    qtmodeltester.check(dialog.orders)
    dialog.import_button.click()
    choose_file(qtbot, path)
    qtbot.waitUntil(lambda: dialog.orders.rowCount() == 4, timeout=WAIT_MS)
    wait_idle(qtbot, desktop.db)
    assert message_boxes() == []
    assert dialog.status.text() == f"Court order 8:26-cv-00042 added from {path.name}."
    assert window.status.currentMessage() == dialog.status.text()
    selected = dialog.orders.row_at(dialog.table.currentIndex().row())
    assert (selected.case_no, selected.status, selected.enjoined_recipients) == ("8:26-cv-00042", "active",
                                                                                 ("DHS-USCIS",))
    note = dialog.orders.index(dialog.table.currentIndex().row(), 10)
    assert note.data() == "<b>Not rich text</b>" and "&lt;b&gt;" in note.data(Qt.ItemDataRole.ToolTipRole)
    qtmodeltester.check(dialog.orders)
    assert [(e.user, e.object) for e in audit(store, "court-order-imported")][-1] == ("cora", "8:26-cv-00042")
    with session(store) as s:
        assert "8:26-cv-00042" in {o.case_no for o in s.court_orders()}


def test_a_bad_order_file_shows_its_message_and_changes_nothing(qtbot, desktop: DesktopApp,
                                                                store: Workstation) -> None:
    with session(store) as s:
        before = s.court_orders()
    logged = audit(store, "court-order-imported", "court-order-updated")
    window = unlock(qtbot, desktop, "cora")
    dialog = window.show_orders()
    qtbot.waitUntil(lambda: dialog.orders.rowCount() == 3, timeout=WAIT_MS)
    dialog.import_file(DATA / "court_order_bad_status.json")
    wait_idle(qtbot, desktop.db)
    [box] = message_boxes()
    assert box.windowTitle() == "Import a court order"
    assert box.text() == (f"{DATA / 'court_order_bad_status.json'}, $.status: must be one of: active, stayed, "
                          "vacated")
    assert dialog.orders.rowCount() == 3 and dialog.status.text() == "3 court orders in the register."
    with session(store) as s:
        assert s.court_orders() == before
    assert audit(store, "court-order-imported", "court-order-updated") == logged


# --- users -------------------------------------------------------------------------------------------

def test_admin_adds_a_user_who_can_then_unlock(qtbot, desktop: DesktopApp, store: Workstation,
                                               qtmodeltester) -> None:
    passphrase = "nina-new-passphrase-7"
    window = unlock(qtbot, desktop, "admin")
    dialog = open_dialog(qtbot, window.users_action, UsersDialog)
    qtbot.waitUntil(lambda: dialog.users.rowCount() == 5, timeout=WAIT_MS)
    assert_keyboard_ready(dialog)
    qtmodeltester.check(dialog.users)
    assert dialog.passphrase.echoMode() == dialog.repeat.echoMode() == dialog.passphrase.EchoMode.Password
    qtbot.keyClicks(dialog.name, "nina")
    dialog.role.setCurrentText("approver")
    qtbot.keyClicks(dialog.passphrase, passphrase)
    qtbot.keyClicks(dialog.repeat, passphrase + "x")
    dialog.add_button.click()
    assert dialog.status.text() == DIFFERENT and dialog.passphrase.text() == dialog.repeat.text() == ""
    qtbot.keyClicks(dialog.passphrase, "short")
    qtbot.keyClicks(dialog.repeat, "short")
    dialog.add_button.click()
    wait_idle(qtbot, desktop.db)
    [box] = message_boxes()
    assert box.text() == "a passphrase needs at least 12 characters"
    box.close()
    qtbot.keyClicks(dialog.passphrase, passphrase)
    qtbot.keyClicks(dialog.repeat, passphrase)
    dialog.add_button.click()
    qtbot.waitUntil(lambda: dialog.users.rowCount() == 6, timeout=WAIT_MS)
    wait_idle(qtbot, desktop.db)
    assert dialog.status.text().startswith("User nina (approver) added; signing key ")
    assert dialog.selected_user() == "nina" and dialog.name.text() == "" and dialog.passphrase.text() == ""
    with store.unlock("nina", passphrase) as nina:
        assert nina.role == "approver"
    [entry] = [e for e in audit(store, "user-added") if e.object == "nina"]
    assert entry.user == "admin" and entry.detail["role"] == "approver"
    with session(store) as s:
        assert not any(passphrase in json.dumps(e.detail) for e in auditlog.entries(s.conn))


def test_admin_resets_a_users_passphrase_after_confirming(qtbot, desktop: DesktopApp, store: Workstation) -> None:
    new = "rita-second-passphrase"
    window = unlock(qtbot, desktop, "admin")
    dialog = window.show_users()
    qtbot.waitUntil(lambda: dialog.users.rowCount() == 5, timeout=WAIT_MS)
    assert not dialog.reset_button.isEnabled()
    row = next(i for i, u in enumerate(dialog.users.rows()) if u.name == "rita")
    dialog.table.selectRow(row)
    assert dialog.selected.text() == "rita" and dialog.reset_button.isEnabled()
    qtbot.keyClicks(dialog.new_passphrase, new)
    qtbot.keyClicks(dialog.new_repeat, new)
    dialog.reset_button.click()
    [box] = message_boxes()
    assert "Give rita this new passphrase and a new signing key?" in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: dialog.status.text().startswith("rita has a new passphrase"), timeout=WAIT_MS)
    wait_idle(qtbot, desktop.db)
    with store.unlock("rita", new) as rita:
        assert rita.role == "reviewer"
    with pytest.raises(AuthError):
        store.unlock("rita", demo_passphrase("rita"))
    assert [(e.user, e.object) for e in audit(store, "user-reset")] == [("admin", "rita")]


# --- settings ----------------------------------------------------------------------------------------

def test_a_settings_change_is_saved_and_logged(qtbot, desktop: DesktopApp, store: Workstation) -> None:
    window = unlock(qtbot, desktop, "admin")
    dialog = open_dialog(qtbot, window.settings_action, SettingsDialog)
    qtbot.waitUntil(lambda: "idle_lock_minutes" in dialog.editors, timeout=WAIT_MS)
    assert_keyboard_ready(dialog)
    threshold = dialog.editors["bulk_threshold"]
    assert threshold.widget.isReadOnly()
    assert "only counsel may change the rule threshold" in threshold.widget.toolTip()
    idle = dialog.editors["idle_lock_minutes"].widget
    assert not idle.isReadOnly() and idle.value() == 15
    idle.setValue(5)
    office = dialog.editors["office_address_lines"].widget
    office.setPlainText("1 Example Plaza\n\nOgden, UT 84201\n")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Saved"), timeout=WAIT_MS)
    wait_idle(qtbot, desktop.db)
    assert dialog.status.text() == "Saved: Idle lock minutes, Office address lines."
    assert message_boxes() == []
    with session(store) as s:
        assert s.setting("idle_lock_minutes") == 5
        assert s.setting("office_address_lines") == ["1 Example Plaza", "Ogden, UT 84201"]
    logged = [(e.user, e.object, e.detail) for e in audit(store, "setting-changed")]
    assert logged == [("admin", "idle_lock_minutes", {"from": 15, "to": 5}),
                      ("admin", "office_address_lines",
                       {"from": ["1111 Constitution Ave NW", "Washington, DC 20224"],
                        "to": ["1 Example Plaza", "Ogden, UT 84201"]})]
    assert dialog.editors["idle_lock_minutes"].widget.value() == 5      # reloaded from the store


def test_a_refused_setting_is_shown_and_the_other_changes_still_land(qtbot, desktop: DesktopApp,
                                                                      store: Workstation) -> None:
    """A view opened before the rules changed may offer a field the service now refuses: it says so."""
    window = unlock(qtbot, desktop, "admin")
    dialog = window.show_settings()
    qtbot.waitUntil(lambda: "bulk_threshold" in dialog.editors, timeout=WAIT_MS)
    stale = dialog.editors["bulk_threshold"]
    stale.row = replace(stale.row, refusal=None)
    stale.widget.setReadOnly(False)
    stale.widget.setValue(50)
    dialog.editors["agency_due_days"].widget.setValue(45)
    dialog.save_button.click()
    qtbot.waitUntil(lambda: bool(message_boxes()), timeout=WAIT_MS)
    wait_idle(qtbot, desktop.db)
    [box] = message_boxes()
    assert box.text() == "Bulk threshold: only counsel may change the rule threshold 'bulk_threshold'"
    assert dialog.status.text() == "Saved: Agency due days. Not saved: Bulk threshold."
    with session(store) as s:
        assert (s.setting("bulk_threshold"), s.setting("agency_due_days")) == (100, 45)
    assert [e.object for e in audit(store, "setting-changed")] == ["agency_due_days"]


# --- accounting --------------------------------------------------------------------------------------

@pytest.fixture
def disclosed(store: Workstation) -> Iterator[Workstation]:
    """DEMO-I2-VALID granted, approved and its transmittal letter issued: four disclosures to DOJ-FBI."""
    with session(store, "rita") as rita:
        rita.decide("DEMO-I2-VALID", "grant", None, demo_passphrase("rita"))
    with session(store, "alex") as alex:
        alex.approve("DEMO-I2-VALID", demo_passphrase("alex"))
    with session(store, "rita") as rita:
        rita.issue_letter("DEMO-I2-VALID", demo_passphrase("rita"))
    yield store


def test_accounting_exports_a_csv_with_the_expected_rows(qtbot, desktop: DesktopApp, disclosed: Workstation,
                                                         tmp_path: Path, qtmodeltester) -> None:
    year = clocks.today().year
    window = unlock(qtbot, desktop, "otto")
    dialog = open_dialog(qtbot, window.accounting_action, AccountingDialog)
    qtbot.waitUntil(lambda: dialog.totals.rowCount() == 2, timeout=WAIT_MS)
    assert_keyboard_ready(dialog)
    qtmodeltester.check(dialog.totals)
    shown = [[dialog.totals.index(r, c).data() for c in range(4)] for r in range(2)]
    assert shown == [["DOJ-FBI", "1", "4", "4"], ["All recipients", "1", "4", "4"]]
    assert dialog.summary.text() == (f"{year}: 4 disclosures about 4 taxpayers in 1 request, to 1 agency in the "
                                     "register.")
    dialog.year.setValue(year - 1)
    dialog.show_button.click()
    qtbot.waitUntil(lambda: dialog.totals.rowCount() == 0, timeout=WAIT_MS)
    assert dialog.summary.text() == f"{year - 1}: no disclosures were recorded."
    dialog.year.setValue(year)
    dialog.export_button.click()
    target = tmp_path / "exports" / f"accounting-{year}.csv"
    target.parent.mkdir()
    choose_file(qtbot, target)
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Exported"), timeout=WAIT_MS)
    wait_idle(qtbot, desktop.db)
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    disclosures = [r for r in rows if r["record"] == "disclosure"]
    assert len(disclosures) == 4
    assert {(r["request_id"], r["agency_code"], r["authority"]) for r in disclosures} == \
        {("DEMO-I2-VALID", "DOJ-FBI", "6103(i)(2)")}
    assert all(r["disclosed_at"].startswith(str(year)) and r["letter_id"].startswith("L-") for r in disclosures)
    assert [(r["record"], r["agency_code"], r["requests"], r["disclosures"], r["taxpayers"])
            for r in rows if r["record"] != "disclosure"] == [("agency-total", "DOJ-FBI", "1", "4", "4"),
                                                              ("total", "", "1", "4", "4")]
    assert [e.detail for e in audit(disclosed, "accounting-exported")] == \
        [{"year": year, "disclosures": 4, "target": str(target)}]
