"""The office queue in the GUI shows who claimed each request (as `dws list` on an office does: CLAIMED BY),
against a real TLS PostgreSQL server (tests/officesigned.py): a "Claimed by" column after the local queue's
columns, with a header a screen reader reads (its name and description) and cells it reads ("not claimed" for an
empty one); a preparer's evaluation on another desktop claims the request, and this desktop's queue shows the
claim within a second (LISTEN/NOTIFY). The local store's queue has no such column."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from a11yhelp import nodes, problems
from clihelp import run_dws
from guihelp import GUI_MARKS
from officegui import apps_fixture  # noqa: F401 (a fixture)
from officesigned import passphrase
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from test_gui_office_request_pg import LIVE_MS, RID, Desks, desks, open_office  # noqa: F401 (a fixture)

from ui.office_app import OfficeDesktopApp
from ui.office_window import OfficeWindow
from ui.queue_model import QueueModel, queue_columns
from workstation.clock import ENV_TODAY
from workstation.service import office_evaluation as oe

pytestmark = GUI_MARKS
R = QAccessible.Role


def claimed_cell(window: OfficeWindow) -> tuple[str, str]:
    """(the text shown, the name a screen reader reads) of the request's Claimed by cell."""
    proxy = window.queue.proxy
    column = proxy.columnCount() - 1
    [row] = [r for r in range(proxy.rowCount()) if proxy.index(r, 0).data() == RID]
    cell = proxy.index(row, column)
    return cell.data(), cell.data(Qt.ItemDataRole.AccessibleTextRole)


@pytest.fixture
def reader() -> Iterator[None]:
    """Accessibility on, as when a screen reader runs: the table's accessible cells follow the model's resets."""
    was = QAccessible.isActive()
    QAccessible.setActive(True)
    yield
    QAccessible.setActive(was)


def spoken(window: OfficeWindow) -> tuple[QAccessible.Role, str]:
    """The role and name a screen reader gets for the request's Claimed by cell, scrolled into view as moving to it
    with the arrow keys does (the window may be narrower than the table)."""
    proxy = window.queue.proxy
    [row] = [r for r in range(proxy.rowCount()) if proxy.index(r, 0).data() == RID]
    window.queue.view.scrollTo(proxy.index(row, proxy.columnCount() - 1))
    cells = [(n.role, n.name) for n in nodes(window.queue.view) if n.role == R.Cell]
    return cells[-1]


def test_the_office_queue_shows_who_claimed_each_request(
        qtbot, desks: Desks, apps: list[OfficeDesktopApp], reader: None) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    window = open_office(qtbot, apps, desks.two, "abe")          # an approver's desktop
    model = window.queue.model
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    local = [c.title for c in queue_columns(lambda: model.today)]
    assert titles == [*local, "Claimed by"]                     # the local queue's columns, then the claim
    last = model.columnCount() - 1
    assert model.headerData(last, Qt.Orientation.Horizontal, Qt.ItemDataRole.AccessibleTextRole) == "Claimed by"
    assert model.headerData(last, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole).startswith(
        "The preparer whose evaluation claimed the request")
    assert claimed_cell(window) == ("", "not claimed")

    # what a screen reader gets from the table: the header by its name, the cell "not claimed"
    assert (R.ColumnHeader, "Claimed by") in [(n.role, n.name) for n in nodes(window.queue.view)]
    assert spoken(window) == (R.Cell, "not claimed")
    assert problems(window) == []

    # the preparer evaluates on the other desktop: the claim shows here within a second
    env = {"DWS_NO_KEYRING": "1", oe.SCRATCH_ENV: str(desks.scratch), ENV_TODAY: "2026-06-01",
           "DWS_USER": "pat", "DWS_PASSPHRASE": passphrase("pat")}
    done = run_dws(desks.one, "evaluate", RID, "--summary", env=env)
    assert done.code == 0, done.err
    committed = time.monotonic()
    qtbot.waitUntil(lambda: claimed_cell(window) == ("pat", "pat"), timeout=LIVE_MS)
    assert time.monotonic() - committed < LIVE_MS / 1000
    listed = run_dws(desks.two, "list", env={**env, "DWS_USER": "abe", "DWS_PASSPHRASE": passphrase("abe")})
    assert listed.code == 0 and "CLAIMED BY" in listed.out and listed.out.splitlines()[-1].rstrip().endswith("pat")
    assert spoken(window) == (R.Cell, "pat")


def test_the_local_queue_has_no_claim_column() -> None:
    model = QueueModel()
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert "Claimed by" not in titles and titles[-1] == "Status"
