"""The redaction preview: withheld items as black bars with their label, a logged "show original", and
reviewer overrides undone and redone through the QUndoStack."""

from __future__ import annotations

import json

from guihelp import (  # noqa: F401
    GUI_MARKS,
    WAIT_MS,
    demo_template_fixture,
    desktop_fixture,
    message_boxes,
    open_store,
    open_tab,
    store_fixture,
    wait_idle,
)
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QInputDialog

from ui.app import DesktopApp
from workstation.service import Workstation
from workstation.store import auditlog

pytestmark = GUI_MARKS
REASON = "Checking the address against the case file before the decision"


def preview_of(qtbot, desktop: DesktopApp, user: str, request_id: str):  # type: ignore[no-untyped-def]
    window, preview = open_tab(qtbot, desktop, user, request_id, lambda view: view.preview)
    qtbot.waitUntil(lambda: preview.fields.rowCount() > 0, timeout=WAIT_MS)
    wait_idle(qtbot, desktop.db)
    return window, preview


def fields(preview) -> dict[str, tuple[bool, str]]:  # type: ignore[no-untyped-def]
    return {f.item: (f.released, f.text) for f in preview.fields.rows()}


def audit(store: Workstation) -> list[auditlog.LogEntry]:
    with open_store(store, "otto") as auditor:
        return list(auditlog.entries(auditor.conn))


def test_withheld_items_are_black_bars_with_their_label(qtbot, desktop: DesktopApp) -> None:
    _window, preview = preview_of(qtbot, desktop, "rita", "DEMO-I2-COURT-ORDER")
    model = preview.fields
    for row in range(model.rowCount()):
        assert model.index(row, 1).data().startswith("WITHHELD COURT-ORDER")
        assert model.index(row, 1).data(Qt.ItemDataRole.BackgroundRole) == QColor("black")
        assert model.index(row, 1).data(Qt.ItemDataRole.ForegroundRole) == QColor("white")
        assert model.index(row, 2).data() == "COURT-ORDER"


def test_show_original_asks_why_and_logs_the_view(qtbot, desktop: DesktopApp, store: Workstation,
                                                   monkeypatch) -> None:
    _window, preview = preview_of(qtbot, desktop, "rita", "DEMO-I2-VALID")
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (REASON, True))
    preview.show_original.click()
    qtbot.waitUntil(lambda: preview.original_dialog is not None and preview.original_dialog.isVisible(),
                    timeout=WAIT_MS)
    values = dict(preview.original_dialog.values.rows())
    assert set(values) == {"name", "address"} and values["name"] == fields(preview)["name"][1]
    viewed = [e for e in audit(store) if e.event == "unredacted-viewed"]
    assert len(viewed) == 1
    assert viewed[0].user == "rita" and viewed[0].object == "DEMO-I2-VALID"
    assert viewed[0].detail["reason"] == REASON and viewed[0].detail["elements"] == ["name", "address"]


def test_show_original_without_a_reason_is_refused_and_not_shown(qtbot, desktop: DesktopApp) -> None:
    _window, preview = preview_of(qtbot, desktop, "rita", "DEMO-I2-VALID")
    preview.request_original("because")
    wait_idle(qtbot, desktop.db)
    assert preview.original_dialog is None
    assert any("say why you need the unredacted data" in box.text() for box in message_boxes())


def test_override_then_undo_and_redo(qtbot, desktop: DesktopApp) -> None:
    window, preview = preview_of(qtbot, desktop, "rita", "DEMO-I2-VALID")
    assert fields(preview)["address"][0] is True
    stack = desktop.overrides.stack("DEMO-I2-VALID")
    with qtbot.waitSignal(window.request.request_loaded, timeout=WAIT_MS):
        preview.request_override("withhold", "address", "The subpoena only needs the name of the subject")
    qtbot.waitUntil(lambda: fields(preview).get("address", (True,))[0] is False, timeout=WAIT_MS)
    assert stack.count() == 1 and stack.canUndo()
    assert window.undo_action.text() == "&Undo Withhold address for subject 1"
    first = preview.history.rows()[-1]
    assert (first.item, first.action, first.ref, first.undone_at) == ("address", "withhold", "1", None)
    with qtbot.waitSignal(window.request.request_loaded, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: fields(preview).get("address", (False,))[0] is True, timeout=WAIT_MS)
    assert preview.history.rows()[-1].undone_at is not None and stack.canRedo()
    with qtbot.waitSignal(window.request.request_loaded, timeout=WAIT_MS):
        window.redo_action.trigger()
    qtbot.waitUntil(lambda: fields(preview).get("address", (True,))[0] is False, timeout=WAIT_MS)
    again = preview.history.rows()[-1]
    assert again.id != first.id and again.undone_at is None and stack.index() == 1
    wait_idle(qtbot, desktop.db)


def test_a_refused_override_never_reaches_the_undo_stack(qtbot, desktop: DesktopApp) -> None:
    _window, preview = preview_of(qtbot, desktop, "rita", "DEMO-I2-COURT-ORDER")
    preview.request_override("release", "address", "The officer wants to release it regardless")
    wait_idle(qtbot, desktop.db)
    assert desktop.overrides.stack("DEMO-I2-COURT-ORDER").count() == 0
    assert any("cannot release address" in box.text() for box in message_boxes())


def test_a_subject_of_a_bulk_request_is_found_by_reference_or_name(qtbot, desktop: DesktopApp,
                                                                     store: Workstation) -> None:
    """Issue 18 item 12: the preview of a many-subject request had no way to pick a subject."""
    with open_store(store, "rita") as s:
        s.evaluate("DEMO-I2-BULK")
        wanted = s.subject_rows("DEMO-I2-BULK", 149, 1)[0]
        name = s.conn.execute("SELECT name FROM subjects s JOIN requests r USING (rid) WHERE r.request_id = ? "
                              "AND s.seq = 149", ("DEMO-I2-BULK",)).fetchone()[0]
    _window, preview = open_tab(qtbot, desktop, "rita", "DEMO-I2-BULK", lambda view: view.preview)
    qtbot.keyClicks(preview.find, wanted.ref)
    qtbot.keyClick(preview.find, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Subject 150 " in preview.title.text(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: preview.fields.rowCount() > 0, timeout=WAIT_MS)
    assert preview.matches.count() >= 1 and preview.matches.itemData(0) == (149, wanted.ref)
    preview.find.clear()
    qtbot.keyClicks(preview.find, name.lower())            # by name, whatever the case
    qtbot.keyClick(preview.find, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: preview.matches.count() >= 1 and preview.matches.itemData(0) is not None,
                    timeout=WAIT_MS)
    assert (149, wanted.ref) in [preview.matches.itemData(i) for i in range(preview.matches.count())]
    preview.find.clear()
    qtbot.keyClicks(preview.find, "NOBODY-BY-THIS-NAME")
    qtbot.keyClick(preview.find, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "No subject" in preview.title.text(), timeout=WAIT_MS)
    searches = [e for e in audit(store) if e.event == "subjects-searched"]
    assert len(searches) == 3 and all(e.user == "rita" for e in searches)
    assert name.split()[-1] not in json.dumps([e.detail for e in searches])       # the words are never logged
