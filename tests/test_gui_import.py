"""File › Import records / request / agency register on a real demo store: the file chosen in a file dialog,
the import in the DB worker, the queue (and the open request) loaded again; a bad or cancelled import leaves the
store exactly as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

from guihelp import (  # noqa: F401
    GUI_MARKS,
    WAIT_MS,
    choose_file,
    demo_template_fixture,
    desktop_fixture,
    message_boxes,
    open_request,
    open_store,
    store_fixture,
    unlock,
    wait_idle,
)
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from ui.app import DesktopApp
from ui.import_actions import AGENCY, RECORDS
from workstation.service import Workstation
from workstation.store import auditlog
from workstation.store import records as records_sql

pytestmark = GUI_MARKS
DATA = Path(__file__).parent / "data" / "intake"
HEADER = ("tin,tin_type,name,street,city,state,zip,address_as_of,tax_year,filing_status,agi,total_tax,refund,"
          "dependents,phone,bank_account,wages,employer,interest,hold")
BATCH = 20_000          # rows the records reader hands over at a time


def record_line(i: int, refund: str = "0") -> str:
    tin = f"{300 + i // 9000:03d}{10 + i % 90:02d}{1000 + i % 9000:04d}"          # unique for i < 500,000
    return (f"{tin},SSN,Test Person {i},{i} Main St,Austin,TX,78701,2024-01-01,2024,single,50000,5000,{refund},0,,,"
            "50000,,0,0")


def records_file(path: Path, rows: int, *, bad_last: bool = False) -> Path:
    lines = [HEADER, *(record_line(i) for i in range(rows))]
    if bad_last:
        lines.append(record_line(rows, refund="12.5"))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def counts(store: Workstation) -> tuple[int, int, list[str]]:
    """(taxpayer record rows, requests, import events in the log)."""
    with open_store(store, "otto") as s:
        events = [e.event for e in auditlog.entries(s.conn) if e.event.endswith(("-imported", "-updated"))]
        return records_sql.count(s.conn), len(s.queue()), events


def test_records_imported_through_the_file_menu_land_and_the_open_request_is_checked_again(
        qtbot, desktop: DesktopApp, store: Workstation, tmp_path: Path) -> None:
    path = records_file(tmp_path / "corrections.csv", 2)
    records, requests, events = counts(store)
    window = unlock(qtbot, desktop, "rita")
    open_request(qtbot, window, "DEMO-I2-VALID")
    action = window.import_actions["records"]
    assert action.isEnabled() and action.shortcut().toString() == "Ctrl+Shift+T"
    with qtbot.waitSignal(window.request.request_loaded, timeout=WAIT_MS):
        action.trigger()
        choose_file(qtbot, path)
    wait_idle(qtbot, desktop.db)
    assert message_boxes() == []
    assert window.status.currentMessage() == ("Imported 2 taxpayer record rows from corrections.csv: 2 new, "
                                              "0 replaced (corrections).")
    assert counts(store) == (records + 2, requests, [*events, "records-imported"])


def test_a_bad_records_file_shows_file_line_and_problem_and_changes_nothing(
        qtbot, desktop: DesktopApp, store: Workstation, tmp_path: Path) -> None:
    """The bad line comes after a whole batch was written into the transaction: it is rolled back."""
    path = records_file(tmp_path / "records.csv", BATCH + 1, bad_last=True)
    before = counts(store)
    window = unlock(qtbot, desktop, "rita")
    window.imports.import_file(RECORDS, path)
    qtbot.waitUntil(lambda: bool(message_boxes()), timeout=WAIT_MS)
    wait_idle(qtbot, desktop.db)
    [box] = message_boxes()
    assert box.windowTitle() == "Import taxpayer records"
    assert box.text() == f"{path}, line {BATCH + 3}, column refund: refund is not a whole number (at most 12 digits)"
    assert window.status.currentMessage() == ""
    assert counts(store) == before


def test_a_cancelled_records_import_changes_nothing_and_says_nothing(
        qtbot, desktop: DesktopApp, store: Workstation, tmp_path: Path) -> None:
    """Cancel in the progress dialog; should the click come late, the first batch's progress cancels too
    (in the worker, before the second batch): either way the transaction is rolled back."""
    path = records_file(tmp_path / "records.csv", BATCH + 1)
    before = counts(store)
    window = unlock(qtbot, desktop, "rita")

    def on_first_batch(job_id: int, _done: object, _total: object) -> None:     # in the worker, at once
        desktop.db.cancel(job_id)

    desktop.db._worker.job_progressed.connect(on_first_batch, Qt.ConnectionType.DirectConnection)
    job_id = window.imports.import_file(RECORDS, path)
    gate = desktop.db.progress_gate(job_id)
    assert gate is not None
    gate.on_dialog_due()                     # as if 600 ms had passed
    assert gate.dialog is not None and gate.dialog.labelText() == "Importing taxpayer records from records.csv…"
    [cancel] = [b for b in gate.dialog.findChildren(QPushButton) if b.text() == "&Cancel"]
    cancel.click()
    wait_idle(qtbot, desktop.db)
    desktop.db._worker.job_progressed.disconnect(on_first_batch)
    assert message_boxes() == [] and window.status.currentMessage() == ""
    assert counts(store) == before


def test_a_request_package_imported_appears_in_the_queue_and_a_second_import_is_refused(
        qtbot, desktop: DesktopApp, store: Workstation, tmp_path: Path) -> None:
    path = tmp_path / "ICE-2026-00017.json"
    shutil.copy(DATA / "request_example.json", path)
    records, requests, events = counts(store)
    window = unlock(qtbot, desktop, "rita")
    rows = window.queue.model.rowCount()
    window.import_actions["request"].trigger()
    choose_file(qtbot, path)
    qtbot.waitUntil(lambda: window.queue.row("ICE-2026-00017") is not None, timeout=WAIT_MS)
    wait_idle(qtbot, desktop.db)
    assert window.queue.model.rowCount() == rows + 1
    assert window.status.currentMessage() == "Imported request ICE-2026-00017 with 1 subject from ICE-2026-00017.json."
    assert counts(store) == (records, requests + 1, [*events, "request-imported"])
    window.import_actions["request"].trigger()
    choose_file(qtbot, path)
    qtbot.waitUntil(lambda: bool(message_boxes()), timeout=WAIT_MS)
    [box] = message_boxes()
    assert box.text().startswith("ICE-2026-00017.json: request ICE-2026-00017 is already in the store")
    assert counts(store) == (records, requests + 1, [*events, "request-imported"])


def test_counsel_updates_an_agency_register_entry(qtbot, desktop: DesktopApp, store: Workstation) -> None:
    _records, _requests, events = counts(store)
    window = unlock(qtbot, desktop, "cora")
    assert not window.import_actions["records"].isEnabled()
    window.imports.import_file(AGENCY, DATA / "agency_example.json")
    qtbot.waitUntil(lambda: window.status.currentMessage() != "", timeout=WAIT_MS)
    wait_idle(qtbot, desktop.db)
    assert window.status.currentMessage() == "Agency register entry DHS-ICE updated from agency_example.json."
    assert counts(store)[2] == [*events, "agency-updated"]
