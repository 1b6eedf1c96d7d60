"""The queue: filters by status, authority, agency and overdue, and search, on the demo store's requests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from guihelp import GUI_MARKS, demo_template_fixture, desktop_fixture, store_fixture, unlock  # noqa: F401
from PySide6.QtCore import Qt

from ui.app import DesktopApp
from ui.queue_model import QueueFilter, QueueModel, is_overdue
from ui.rows_model import ROW_ROLE
from workstation import clock as clocks
from workstation.model import QueueRow

pytestmark = GUI_MARKS


def shown(window) -> set[str]:  # type: ignore[no-untyped-def]
    proxy = window.queue.proxy
    return {proxy.index(r, 0).data(ROW_ROLE).request_id for r in range(proxy.rowCount())}


def choose(combo, value: str) -> None:  # type: ignore[no-untyped-def]
    index = combo.findData(value)
    assert index >= 0, f"{value!r} is not offered"
    combo.setCurrentIndex(index)


def test_filters_and_search_narrow_the_queue(qtbot, desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "rita")
    queue = window.queue
    everything = shown(window)
    assert len(everything) == queue.model.rowCount() >= 20
    choose(queue.authority, "6103(c)")
    assert shown(window) == {"DEMO-C-VALID", "DEMO-C-CONSENT"}
    assert queue.count.text() == f"2 of {len(everything)}"
    choose(queue.authority, "")
    choose(queue.agency, "DHS-ICE")
    ice = shown(window)
    assert "DEMO-I2-BULK" in ice and "DEMO-I2-COURT-ORDER" in ice and "DEMO-I2-VALID" not in ice
    queue.search.clear()
    qtbot.keyClicks(queue.search, "bulk")
    assert shown(window) == {"DEMO-I2-BULK"}
    queue.search.clear()
    choose(queue.agency, "")
    choose(queue.status, "evaluated")
    assert shown(window) == everything            # the demo evaluated every request
    queue.overdue.click()
    today = queue.model.today
    overdue = {r.request_id for r in queue.model.rows() if is_overdue(r, today)}
    assert overdue and overdue != everything and shown(window) == overdue
    queue.overdue.click()
    assert shown(window) == everything


def test_enter_on_a_row_opens_the_request(qtbot, desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "alex")
    assert window.queue.select("DEMO-I2-VALID")
    with qtbot.waitSignal(window.request.request_loaded, timeout=20_000) as loaded:
        qtbot.keyClick(window.queue.view, Qt.Key.Key_Return)
    assert loaded.args == ["DEMO-I2-VALID"]
    assert window.request.overview.values["Request"].text() == "DEMO-I2-VALID"


def _row(request_id: str, due: str | None, status: str = "evaluated", subjects: int = 2) -> QueueRow:
    return QueueRow(request_id, "Department of Justice", "DOJ-FBI", "6103(i)(2)", "2026-01-02", due, subjects, status)


def test_overdue_and_numeric_sorting_of_the_queue_model(qtmodeltester) -> None:
    rows = [_row("A", "2026-01-01"), _row("B", "2026-03-01", subjects=1_280_000),
            _row("C", "2026-01-01", "approved", 10), _row("D", None)]
    model = QueueModel(rows, today=date(2026, 2, 1))
    proxy = QueueFilter()
    proxy.setSourceModel(model)
    qtmodeltester.check(model)
    qtmodeltester.check(proxy)
    assert [model.index(r, 5).data() for r in range(4)] == ["Overdue", "", "", ""]
    proxy.set_criteria(overdue_only=True)
    assert proxy.rowCount() == 1
    proxy.set_criteria()
    proxy.sort(6, Qt.SortOrder.DescendingOrder)
    assert proxy.index(0, 6).data() == "1,280,000" and proxy.index(1, 6).data() == "10"


def test_a_queue_left_open_past_midnight_shows_the_new_days_overdue(qtmodeltester) -> None:
    model = QueueModel([_row("A", "2026-02-01"), _row("B", "2026-02-02")])
    with clocks.use(clocks.FixedClock(datetime(2026, 2, 1, 12, 0, tzinfo=UTC))):
        assert [model.index(r, 5).data() for r in range(2)] == ["", ""]
    with clocks.use(clocks.FixedClock(datetime(2026, 2, 3, 12, 0, tzinfo=UTC))):
        assert [model.index(r, 5).data() for r in range(2)] == ["Overdue", "Overdue"]
