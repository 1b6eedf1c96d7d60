"""The desktop application on an office (issue 19 items 4 and 5, the GUI's part), against a real TLS PostgreSQL
server (tests/officehelp.py): `dws gui --store PROFILE` unlocks the office and shows its queue with the local
queue's columns and keys; a request another desktop imports shows within a second (LISTEN/NOTIFY); commands an
office does not have yet are there, disabled, and say why; the server stopped, the status bar says "office server
unreachable" (said aloud), with no message box, and the window stays usable; the server back, the desktop
connects again by itself, the status clears and the queue reads again. A lock writes a checkpoint of the office log
to the witness folder beside the profile, and the status bar says when."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pgserver
import pytest
from a11yhelp import problems
from clihelp import run_dws
from guihelp import GUI_MARKS, WAIT_MS, message_boxes, wait_idle
from officegui import apps_fixture, start_unlock, unlock_office  # noqa: F401 (a fixture)
from officehelp import Office
from officerequests import package, write
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible

from ui.a11y import announcements
from ui.office_app import OfficeDesktopApp
from ui.office_window import OfficeWindow
from ui.queue_model import queue_columns
from ui.rows_model import ROW_ROLE
from workstation import checkpoint as cp
from workstation.office.cluster import Cluster
from workstation.store.office import log, queue_notify
from workstation.store.office import records as records_sql
from workstation.store.office import requests as requests_sql

pytestmark = GUI_MARKS
USERS = {"rita": "preparer", "pat": "preparer", "otto": "auditor"}
LIVE_MS = 1000                  # issue 19: the queue updates within a second of another desktop's commit


def passphrase(user: str) -> str:
    return f"{user}'s office passphrase"


@pytest.fixture
def office(tmp_path: Path) -> Iterator[tuple[Office, Path, Path]]:
    """An office with its request tables and queue trigger, three users, and two enrolled desktops' profiles."""
    started = Office.start()
    try:
        started.create(records_sql, requests_sql, queue_notify)
        for user, role in USERS.items():
            started.enrol(user, role, passphrase(user))
        mine = started.desktop(tmp_path / "desk-1", "desk-1").path
        other = started.desktop(tmp_path / "desk-2", "desk-2").path
        yield started, mine, other
    finally:
        started.server.stop()


def open_office(qtbot, apps: list[OfficeDesktopApp], profile: Path, user: str) -> OfficeWindow:  # type: ignore[no-untyped-def]
    return unlock_office(qtbot, apps, profile, user, passphrase(user))


def shown(window: OfficeWindow) -> list[str]:
    proxy = window.queue.proxy
    return [proxy.index(r, 0).data(ROW_ROLE).request_id for r in range(proxy.rowCount())]


def import_from_the_other_desktop(profile: Path, user: str, path: Path) -> None:
    """`dws import request` on another desktop (its own profile and certificate), as another user."""
    done = run_dws(profile, "import", "request", str(path), env={"DWS_USER": user, "DWS_PASSPHRASE": passphrase(user)})
    assert done.code == 0, done.err


def test_the_office_queue_opens_and_shows_what_another_desktop_imports_within_a_second(
        qtbot, office: tuple[Office, Path, Path], apps: list[OfficeDesktopApp], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _office, mine, other = office
    import_from_the_other_desktop(other, "pat", write(tmp_path / "a.json", package("OFF-A", received_on="2026-10-01")))
    window = open_office(qtbot, apps, mine, "rita")
    assert window.windowTitle() == "Disclosure Workstation — Test Office — rita (preparer)"
    qtbot.waitUntil(lambda: shown(window) == ["OFF-A"], timeout=WAIT_MS)
    model = window.queue.model
    names = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert names == [*(c.title for c in queue_columns(lambda: model.today)), "Claimed by"]   # the local's, and who
    row = window.queue.row("OFF-A")
    assert row is not None and (row.agency, row.agency_code, row.status) == (
        "Department of Homeland Security", "DHS-ICE", "new")            # the requester's name opened here
    assert window.status.server.text() == "Test Office: connected"
    qtbot.waitUntil(lambda: window.status.log.text() == "Log: 1 entries, chain verified", timeout=WAIT_MS)

    for n, received in enumerate(("2026-09-01", "2026-11-01"), start=1):
        import_from_the_other_desktop(other, "pat", write(tmp_path / f"b{n}.json",
                                                          package(f"OFF-B{n}", received_on=received)))
        committed = time.monotonic()
        qtbot.waitUntil(lambda n=n: f"OFF-B{n}" in shown(window), timeout=LIVE_MS)
        assert time.monotonic() - committed < LIVE_MS / 1000
    assert shown(window) == ["OFF-B1", "OFF-A", "OFF-B2"]          # by due date, as the local queue sorts

    # the local queue's keys: sort by the current column from the keyboard, Enter on a row
    window.queue.view.setFocus()
    window.queue.view.setCurrentIndex(window.queue.proxy.index(0, 0))
    qtbot.keyClick(window.queue.view, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert shown(window) == ["OFF-A", "OFF-B1", "OFF-B2"]
    qtbot.keyClick(window.queue.view, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert shown(window) == ["OFF-B2", "OFF-B1", "OFF-A"]
    assert not message_boxes()
    qtbot.keyClick(window.queue.view, Qt.Key.Key_Return)        # on OFF-B1: the current row follows its request
    assert window.request._loading == "OFF-B1"                  # it opens (ui/office_request.py) ...
    qtbot.waitUntil(lambda: bool(message_boxes()), timeout=WAIT_MS)
    [box] = message_boxes()                                     # ... in an office made before evaluations: one message
    assert box.text().startswith("this office's database was made before offices held evaluations")
    assert window.request.snapshot is None


def test_what_an_office_cannot_do_yet_is_disabled_and_says_why(
        qtbot, office: tuple[Office, Path, Path], apps: list[OfficeDesktopApp]) -> None:  # type: ignore[no-untyped-def]
    _office, mine, _other = office
    window = open_office(qtbot, apps, mine, "otto")
    for key in ("evaluate", "decide", "approve", "issue", "print", "save"):
        action = window.commands[key]
        assert not action.isEnabled()
        assert action.toolTip() == "Not available: open a request from the queue first"     # as locally
        assert action.toolTip() == action.statusTip()
    assert window.open_action.isEnabled()                       # requests open on an office (i19q)
    records, request, agency = (window.import_actions[k] for k in ("records", "request", "agency"))
    assert not records.isEnabled() and records.toolTip() == (
        "Not available: your office role (auditor) may not do this; preparer or admin may")
    assert not request.isEnabled()
    assert not agency.isEnabled() and "Importing an agency register entry is not yet available" in agency.toolTip()
    assert window.verify_action.isEnabled()
    button = next(b for b in window.toolbar.findChildren(type(window.toolbar.widgetForAction(
        window.commands["evaluate"]))) if b.defaultAction() is window.commands["evaluate"])
    assert not button.isEnabled() and "open a request from the queue first" in button.toolTip()

    rita = open_office(qtbot, apps, mine, "rita")
    assert rita.import_actions["records"].isEnabled() and rita.import_actions["request"].isEnabled()


@pytest.mark.realtime
def test_a_lost_server_is_said_in_the_status_bar_and_the_desktop_reconnects_by_itself(
        qtbot, office: tuple[Office, Path, Path], apps: list[OfficeDesktopApp], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    started, mine, other = office
    import_from_the_other_desktop(other, "pat", write(tmp_path / "a.json", package("OFF-A")))
    window = open_office(qtbot, apps, mine, "rita")
    qtbot.waitUntil(lambda: shown(window) == ["OFF-A"], timeout=WAIT_MS)
    heard: list[tuple[str, bool]] = []
    announcements.announced.connect(lambda text, assertive: heard.append((text, assertive)))
    server = started.server
    cluster = Cluster(server.bin, server.root, server.run_as)

    assert cluster.stop("fast")
    qtbot.waitUntil(lambda: window.status.unreachable, timeout=5000)
    assert window.status.server.text() == "Test Office: office server unreachable, reconnecting…"
    assert any(text.startswith("Test Office: office server unreachable") and assertive for text, assertive in heard)
    # the window stays usable: the queue as it was, a reload asked for says the same in the status bar, no box
    qtbot.keyClick(window.queue.view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.queue.view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    wait_idle(qtbot, window._db)
    assert shown(window) == ["OFF-A"] and window.status.unreachable
    assert not message_boxes()
    spoken = len([t for t, _a in heard if "unreachable" in t])
    assert spoken == 1                              # said once, not at every try

    with qtbot.waitSignal(window.queue.queue_loaded, timeout=10_000):
        restarted = pgserver._run(server, [str(server.bin / "pg_ctl"), "-D", str(server.data), "-l",
                                           str(server.log), "-w", "-t", "60", "-o", f"-p {server.port}", "start"])
        assert restarted.returncode == 0, restarted.stderr
        qtbot.waitUntil(lambda: not window.status.unreachable, timeout=5000)
    assert window.status.server.text() == "Test Office: connected"
    assert ("Test Office: connected", False) in heard
    import_from_the_other_desktop(other, "pat", write(tmp_path / "b.json", package("OFF-B")))
    qtbot.waitUntil(lambda: "OFF-B" in shown(window), timeout=LIVE_MS)
    assert not message_boxes()


def test_the_office_window_reads_as_a_screen_reader_reads_it_and_locks_and_unlocks_with_the_server_away(
        qtbot, office: tuple[Office, Path, Path], apps: list[OfficeDesktopApp], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    started, mine, other = office
    import_from_the_other_desktop(other, "pat", write(tmp_path / "a.json", package("OFF-A")))
    window = open_office(qtbot, apps, mine, "rita")
    dialog = apps[-1].unlock_dialog
    assert dialog.where.text() == f"Office: Test Office, on the office server at 127.0.0.1:{started.server.port}"
    assert not dialog._recovery.isEnabled() and "not yet available for an office store" in dialog._recovery.toolTip()
    qtbot.waitUntil(lambda: shown(window) == ["OFF-A"], timeout=WAIT_MS)
    assert problems(window) == []
    assert QAccessible.queryAccessibleInterface(window.status.server).text(QAccessible.Text.Name) == \
        "Test Office: connected"
    lock = apps[-1].lock
    assert lock is not None

    # the lock writes a checkpoint of the office log to the witness folder beside the profile, and says when
    witness = mine.parent / (mine.stem + "-witness")
    assert window.status.witness.text() == "Witness: none yet"
    qtbot.keyClick(window.queue.view, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: lock.is_locked and "beside the store" in window.status.witness.text(), timeout=WAIT_MS)
    (written,) = witness.glob("dws-*-rita.checkpoint")
    with started.superuser() as conn:
        assert cp.parse(written.read_text("utf-8")).size == len(log.entries(conn))
    assert str(witness) in window.status.witness.toolTip()
    qtbot.keyClicks(lock.screen.passphrase, passphrase("rita"))
    qtbot.keyClick(lock.screen.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not lock.is_locked and window.isVisible(), timeout=WAIT_MS)

    assert Cluster(started.server.bin, started.server.root, started.server.run_as).stop("fast")
    qtbot.waitUntil(lambda: window.status.unreachable, timeout=5000)
    qtbot.keyClick(window.queue.view, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: lock.is_locked and not window.isVisible(), timeout=WAIT_MS)
    screen = lock.screen
    qtbot.keyClicks(screen.passphrase, "not rita's")
    qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "passphrase" in screen.error.text(), timeout=WAIT_MS)
    assert lock.is_locked and "wrong passphrase" in screen.error.text()
    screen.passphrase.clear()
    qtbot.keyClicks(screen.passphrase, passphrase("rita"))         # checked on this desktop: the server is away
    qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not lock.is_locked and window.isVisible(), timeout=WAIT_MS)
    assert shown(window) == ["OFF-A"] and window.status.unreachable and not message_boxes()


def test_an_office_whose_server_is_away_says_so_in_the_unlock_dialog(
        qtbot, office: tuple[Office, Path, Path], apps: list[OfficeDesktopApp]) -> None:  # type: ignore[no-untyped-def]
    started, mine, _other = office
    assert Cluster(started.server.bin, started.server.root, started.server.run_as).stop("fast")
    desktop = start_unlock(qtbot, apps, mine, "rita", passphrase("rita"))
    dialog = desktop.unlock_dialog
    qtbot.waitUntil(lambda: "unreachable" in dialog.error.text(), timeout=WAIT_MS)
    assert dialog.error.text().startswith(f"office server unreachable: 127.0.0.1:{started.server.port} (check "
                                          "that the server is running")
    assert desktop.window is None and dialog.isVisible() and not message_boxes()
