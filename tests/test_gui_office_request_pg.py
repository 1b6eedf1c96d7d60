"""A request opened in the office window, and the two-desktop flow in the GUI (issue 19 item 4, i19q), against a
real TLS PostgreSQL server (tests/officesigned.py): the preparer opens a request in window A (the local request
view over its working copy), signs its decision through the signing dialog; window B's queue shows the new status
within a second (LISTEN/NOTIFY); the approver opens it in window B, approves through the dialog, issues the letter,
and the letter verifies. The working copy lives while the request is open and is gone once it is closed, the
screen locks, or the application quits. Another preparer's desktop shows the request as claimed (Sign disabled,
saying by whom) and the office refuses their signature in one message, recording nothing. No taxpayer value in
the application's output or crash reports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from clihelp import run_dws
from conftest import CARD_PIN
from guihelp import GUI_MARKS, WAIT_MS, wait_idle
from letterdata import AS_OF, REQUESTS, canary_strings, write_records
from officegui import apps_fixture, unlock_office  # noqa: F401 (a fixture)
from officehelp import ADMIN, ADMIN_PASSPHRASE, Office
from officesigned import passphrase, signed_office
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from ui import letter_tab
from ui.office_app import OfficeDesktopApp
from ui.office_window import OfficeWindow
from ui.signing_dialog import SigningDialog
from workstation import clock as clocks
from workstation.clock import ENV_TODAY
from workstation.errors import PermissionDenied
from workstation.keys import primitives as p
from workstation.keys.pkcs11 import TokenRef, TokenSigner
from workstation.service import office_enrol
from workstation.service import office_evaluation as oe
from workstation.service.office_desktop import OfficeWorkstation
from workstation.store.office import queue_notify, signing_keys

pytestmark = GUI_MARKS
RID = "LTR-PARTIAL"
LIVE_MS = 1000                  # issue 19: the queue updates within a second of another desktop's commit
DECISIONS = ("SELECT count(*) FROM dws.decisions d JOIN dws.requests r ON r.id = d.request WHERE r.request_id = %s")
APPROVALS = ("SELECT count(*) FROM dws.approvals a JOIN dws.decisions d USING (decision_id) "
             "JOIN dws.requests r ON r.id = d.request WHERE r.request_id = %s")


@dataclass
class Desks:
    office: Office
    one: Path                   # the preparers' desktop profile
    two: Path                   # the approvers' desktop profile
    scratch: Path               # where working copies are built (office_evaluation.SCRATCH_ENV)

    def count(self, sql: str, *args: object) -> int:
        with self.office.superuser() as conn:
            row = conn.execute(sql, args).fetchone()
        assert row is not None
        return int(row[0])


@pytest.fixture
def desks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desks]:
    office, one = signed_office(tmp_path)
    try:
        office.create(queue_notify)
        two = office.desktop(tmp_path / "desk2", "desk-2")
        scratch = tmp_path / "cache"
        monkeypatch.setenv(oe.SCRATCH_ENV, str(scratch))
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))         # crash reports land here
        env = {"DWS_NO_KEYRING": "1", oe.SCRATCH_ENV: str(scratch), ENV_TODAY: AS_OF.isoformat(),
               "DWS_USER": "pat", "DWS_PASSPHRASE": passphrase("pat")}
        write_records(tmp_path / "records.csv")
        (tmp_path / "request.json").write_text(json.dumps(REQUESTS[RID]), encoding="utf-8")
        for args in (("import", "records", str(tmp_path / "records.csv")),
                     ("import", "request", str(tmp_path / "request.json"))):
            done = run_dws(one.path, *args, env=env)
            assert done.code == 0, done.err
        with clocks.use(clocks.ShiftedClock(AS_OF)):
            yield Desks(office, one.path, two.path, scratch)
    finally:
        office.server.stop()


def open_office(qtbot, apps: list[OfficeDesktopApp], profile: Path, user: str) -> OfficeWindow:  # type: ignore[no-untyped-def]
    """The office window unlocked as `user`, the request in its queue."""
    window = unlock_office(qtbot, apps, profile, user, passphrase(user))
    qtbot.waitUntil(lambda: window.queue.row(RID) is not None, timeout=WAIT_MS)
    wait_idle(qtbot, apps[-1].db)
    return window


def open_request(qtbot, window: OfficeWindow) -> None:  # type: ignore[no-untyped-def]
    """Select the request in the queue and press Enter, as locally."""
    window.queue.select(RID)
    window.queue.view.setFocus()
    qtbot.keyClick(window.queue.view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.request.request_id == RID, timeout=WAIT_MS)


def working_copies(desks: Desks) -> list[Path]:
    """The working copies' folders (each a private folder beside the scratch target)."""
    return sorted(p for p in desks.scratch.iterdir() if p.is_dir()) if desks.scratch.exists() else []


def sign(qtbot, window: OfficeWindow, key: str, user: str) -> SigningDialog:  # type: ignore[no-untyped-def]
    """Trigger Sign (or Approve) and type the passphrase into the signing dialog; the dialog (before Sign)."""
    window.request.commands[key].trigger()
    decision = window.request.decision
    qtbot.waitUntil(lambda: decision.dialog is not None and decision.dialog.isVisible(), timeout=WAIT_MS)
    dialog = decision.dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.passphrase, passphrase(user))
    return dialog


def boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def test_the_preparer_signs_in_one_window_and_the_approver_approves_in_another(
        qtbot, desks: Desks, apps: list[OfficeDesktopApp], monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
        capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    a = open_office(qtbot, apps, desks.one, "pat")
    b = open_office(qtbot, apps, desks.two, "abe")
    assert working_copies(desks) == []
    open_request(qtbot, a)                                  # the local request view, over the working copy
    snapshot = a.request.snapshot
    assert snapshot is not None and snapshot.evaluation.recommendation == "partial"
    assert snapshot.evaluation.subjects == 6
    assert a.request.tabs.currentWidget() is a.request.overview
    assert len(working_copies(desks)) == 1
    qtbot.waitUntil(lambda: (row := b.queue.row(RID)) is not None and row.status == "evaluated", timeout=WAIT_MS)
    assert a.request.commands.reason("decide") is None
    assert a.request.commands.reason("approve") is not None
    assert a.request.preview.release.isEnabled()           # overrides are kept in the office (i19o)
    a.overrides.add(RID, "1", "address", "withhold", "Kept back while the case is reviewed")   # as the tab does
    qtbot.waitUntil(lambda: (s := a.request.snapshot) is not None and len(s.overrides) == 1
                    and s.overrides[0].undone_at is None, timeout=WAIT_MS)        # kept, then evaluated again
    assert desks.count("SELECT count(*) FROM dws.overrides") == 1
    a.overrides.stack(RID).undo()                           # Edit › Undo: a row of its own in the office
    qtbot.waitUntil(lambda: (s := a.request.snapshot) is not None and len(s.overrides) == 1
                    and s.overrides[0].undone_at is not None, timeout=WAIT_MS)
    assert desks.count("SELECT count(*) FROM dws.overrides") == 2
    wait_idle(qtbot, apps[0].db)

    dialog = sign(qtbot, a, "decide", "pat")
    assert dialog.summary.outcome == "partial" and dialog.ok.text() == "Sign"
    dialog.ok.click()
    qtbot.waitUntil(lambda: desks.count(DECISIONS, RID) == 1, timeout=WAIT_MS)      # committed in the office
    qtbot.waitUntil(lambda: (row := b.queue.row(RID)) is not None and row.status == "approval-pending",
                    timeout=LIVE_MS)                                                # B's queue, within a second
    assert (row := b.queue.row(RID)) is not None and row.recommendation == "partial"     # as `dws list` shows it
    wait_idle(qtbot, apps[0].db)
    assert boxes() == []
    assert a.request.snapshot is not None and a.request.snapshot.decision is not None
    assert a.request.snapshot.decision.doc_hash == dialog.summary.doc_hash     # the very document shown

    open_request(qtbot, b)
    assert b.request.commands.reason("approve") is None
    approval = sign(qtbot, b, "approve", "abe")
    assert approval.ok.text() == "Approve" and approval.summary.doc_hash == dialog.summary.doc_hash
    approval.ok.click()
    qtbot.waitUntil(lambda: (s := b.request.snapshot) is not None and s.decision is not None
                    and s.decision.approver == "abe", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: (row := a.queue.row(RID)) is not None and row.status == "approved", timeout=WAIT_MS)

    monkeypatch.setattr(letter_tab, "ask_passphrase", lambda _parent, _what, *_a: passphrase("abe"))
    qtbot.waitUntil(lambda: b.request.commands.reason("issue") is None, timeout=WAIT_MS)
    b.request.commands["issue"].trigger()
    qtbot.waitUntil(lambda: b.request.letter._pdf is not None, timeout=WAIT_MS)
    pdf = b.request.letter._pdf
    assert pdf is not None and pdf.startswith(b"%PDF")
    assert boxes() == []
    (tmp_path / "letter.pdf").write_bytes(pdf)
    checked = run_dws(desks.one, "verify-letter", str(tmp_path / "letter.pdf"),
                      env={"DWS_USER": "pat", "DWS_PASSPHRASE": passphrase("pat"), "DWS_NO_KEYRING": "1"})
    assert checked.code == 0, checked.err

    a.lock_requested.emit()                                  # A locks: its working copy is gone
    qtbot.waitUntil(lambda: a.request.snapshot is None, timeout=WAIT_MS)
    wait_idle(qtbot, apps[0].db)
    assert len(working_copies(desks)) == 1                  # B's, still open
    apps[1].quit()                                          # B quits: its working copy is gone too
    assert working_copies(desks) == []

    out, err = capfd.readouterr()
    crashes = tmp_path / "state"
    written = "".join(p.read_text(errors="replace") for p in crashes.rglob("*") if p.is_file()) \
        if crashes.exists() else ""
    assert not [c for c in canary_strings() if c in out + err + written]


def test_another_preparers_desktop_shows_the_claim_and_the_office_refuses_their_signature(
        qtbot, desks: Desks, apps: list[OfficeDesktopApp]) -> None:  # type: ignore[no-untyped-def]
    a = open_office(qtbot, apps, desks.one, "pat")
    open_request(qtbot, a)                                  # pat's evaluation claims the request
    c = open_office(qtbot, apps, desks.two, "pam")
    qtbot.waitUntil(lambda: (row := c.queue.row(RID)) is not None and row.status == "evaluated", timeout=WAIT_MS)
    open_request(qtbot, c)
    reason = c.request.commands.reason("decide")
    assert reason == f"Not available: request {RID} is claimed by pat: only they may decide it"
    # pam's desktop signing anyway (as a race would): one message from the office, nothing recorded
    with OfficeWorkstation(desks.two).unlock("pam", passphrase("pam")) as pam:
        pam.open_request(RID)
        with pytest.raises(PermissionDenied) as refused:
            pam.decide(RID, "partial", None, passphrase("pam"))
        # a view of taxpayer data on the working copy is logged in the office, the reason's text left out
        reason = "Checking the address against the agency's case file CR-26-4001."
        shown = pam.show_original(RID, 0, reason)
        assert shown and pam.request_folder is not None
        folder = pam.request_folder
    assert not folder.exists()                              # closed with the session: the working copy removed
    assert str(refused.value) == f"request {RID} is claimed by pat: only they may decide it; nothing was signed"
    with desks.office.superuser() as conn:
        logged = conn.execute("SELECT user_name, detail FROM dws.office_log WHERE event = 'unredacted-viewed'"
                              ).fetchall()
    assert [(user, json.loads(detail)["reason_given"]) for user, detail in logged] == [("pam", True)]
    assert "case file" not in str(logged)
    assert desks.count(DECISIONS, RID) == 0
    assert boxes() == []


def test_a_wrong_passphrase_in_the_signing_dialog_signs_nothing_and_says_so(
        qtbot, desks: Desks, apps: list[OfficeDesktopApp]) -> None:  # type: ignore[no-untyped-def]
    a = open_office(qtbot, apps, desks.one, "pat")
    open_request(qtbot, a)
    a.request.commands["decide"].trigger()
    decision = a.request.decision
    qtbot.waitUntil(lambda: decision.dialog is not None and decision.dialog.isVisible(), timeout=WAIT_MS)
    dialog = decision.dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.passphrase, "not pat's passphrase")
    dialog.ok.click()
    qtbot.waitUntil(lambda: bool(boxes()), timeout=WAIT_MS)
    [box] = boxes()
    assert box.text() == "wrong passphrase"
    assert desks.count(DECISIONS, RID) == 0


def test_an_approval_after_the_request_changed_is_refused_in_one_message_and_nothing_is_signed(
        qtbot, desks: Desks, apps: list[OfficeDesktopApp], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a = open_office(qtbot, apps, desks.one, "pat")
    open_request(qtbot, a)
    sign(qtbot, a, "decide", "pat").ok.click()
    qtbot.waitUntil(lambda: desks.count(DECISIONS, RID) == 1, timeout=WAIT_MS)
    b = open_office(qtbot, apps, desks.two, "abe")
    open_request(qtbot, b)                                  # the approver's view: Approve enabled
    assert b.request.commands.reason("approve") is None
    # meanwhile another desktop imports a record of the subject that had none: the evaluation changes
    header = ("tin,tin_type,name,street,city,state,zip,address_as_of,tax_year,filing_status,agi,total_tax,refund,"
              "dependents,phone,bank_account,wages,employer,interest,hold")
    (tmp_path / "more.csv").write_text(f"{header}\n212451005,SSN,Peter Nobody,5 Elm St,Austin,TX,78701,2025-04-15,"
                                       "2025,single,1,1,1,0,,,1,Example,0,0\n", encoding="utf-8")
    done = run_dws(desks.one, "import", "records", str(tmp_path / "more.csv"),
                   env={"DWS_USER": "pat", "DWS_PASSPHRASE": passphrase("pat"), "DWS_NO_KEYRING": "1",
                        oe.SCRATCH_ENV: str(desks.scratch), ENV_TODAY: AS_OF.isoformat()})
    assert done.code == 0, done.err
    sign(qtbot, b, "approve", "abe").ok.click()             # the dialog shows the decision as signed; Approve
    qtbot.waitUntil(lambda: bool(boxes()), timeout=WAIT_MS)
    [box] = boxes()
    assert box.text() == ("the evaluation changed since the decision was signed (records, court orders, settings or "
                          "overrides); the reviewer must decide again")
    assert desks.count(APPROVALS, RID) == 0
    wait_idle(qtbot, apps[1].db)
    assert (row := b.queue.row(RID)) is not None and row.status == "approval-pending"


def test_a_card_user_signs_in_the_office_window_with_the_card_pin(
        qtbot, desks: Desks, apps: list[OfficeDesktopApp], softhsm) -> None:  # type: ignore[no-untyped-def]
    """i19card: a preparer whose key is on a card (`dws office enrol --pkcs11-module ...`) is asked for the card's
    PIN in the signing dialog, as locally; a wrong PIN signs nothing, in one message; the screen locks and opens
    with the passphrase (the card is not held open: the office's checkpoints are the office key's)."""
    with desks.office.superuser() as conn, conn.transaction():
        signing_keys.add_cards(conn, desks.office.roles)       # schema step 9 (signed_office makes the pieces)
    office_enrol.enrol_user(desks.one, ADMIN, ADMIN_PASSPHRASE, "kim", "preparer", passphrase("kim"),
                            token=TokenRef(softhsm.module, "dws-plain", "sign"), pin=CARD_PIN)
    a = open_office(qtbot, apps, desks.one, "kim")
    lock = apps[0].lock
    assert lock is not None
    with qtbot.waitSignal(lock.unlocked, timeout=WAIT_MS):
        a.lock_requested.emit()
        qtbot.waitUntil(lambda: lock.screen is not None and lock.screen.isVisible(), timeout=WAIT_MS)
        qtbot.keyClicks(lock.screen.passphrase, passphrase("kim"))
        qtbot.keyClick(lock.screen.passphrase, Qt.Key.Key_Return)
    open_request(qtbot, a)
    for pin, decided in (("not-the-card-pin", 0), (CARD_PIN, 1)):
        a.request.commands["decide"].trigger()
        tab = a.request.decision
        qtbot.waitUntil(lambda t=tab: t.dialog is not None and t.dialog.isVisible(), timeout=WAIT_MS)
        dialog = tab.dialog
        assert dialog is not None and dialog.windowTitle().endswith("— card PIN")
        assert dialog.prompt.text().endswith("insert your card and enter its PIN.")
        qtbot.keyClicks(dialog.passphrase, pin)
        dialog.ok.click()
        if decided == 0:
            qtbot.waitUntil(lambda: bool(boxes()), timeout=WAIT_MS)
            [box] = boxes()
            assert box.text() == "wrong card PIN for token 'dws-plain'"
            box.close()
        qtbot.waitUntil(lambda d=decided: desks.count(DECISIONS, RID) == d, timeout=WAIT_MS)
        wait_idle(qtbot, apps[0].db)
    qtbot.waitUntil(lambda: (s := a.request.snapshot) is not None and s.decision is not None, timeout=WAIT_MS)
    snapshot = a.request.snapshot
    assert snapshot is not None and snapshot.decision is not None and snapshot.decision.preparer == "kim"
    with TokenSigner.open(TokenRef(softhsm.module, "dws-plain", "sign"), CARD_PIN) as signer:
        assert snapshot.decision.preparer_fingerprint == p.fingerprint(signer.public_key)
    assert boxes() == []
