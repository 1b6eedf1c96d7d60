"""The request view: the checks of a court-blocked request, the lazy subject list, subject findings."""

from __future__ import annotations

from guihelp import (  # noqa: F401
    GUI_MARKS,
    WAIT_MS,
    demo_template_fixture,
    desktop_fixture,
    open_request,
    store_fixture,
    unlock,
    wait_idle,
)
from PySide6.QtCore import QAbstractItemModel, Qt

from ui.app import DesktopApp
from ui.queue_model import QueueFilter
from ui.rows_model import RowsModel
from ui.subjects_model import PENDING, SubjectsModel

pytestmark = GUI_MARKS


def test_checks_of_a_court_blocked_request(qtbot, desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "rita")
    open_request(qtbot, window, "DEMO-I2-COURT-ORDER")
    view = window.request
    window.show_tab(view.checks)
    checks = {c.code: c for c in view.checks.request_checks.rows()}
    block = checks["COURT-ORDER"]
    assert block.outcome == "block"
    assert "1:25-cv-00457" in block.message and "1:25-cv-00457" in block.citation
    model = view.checks.request_checks
    row = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == "COURT-ORDER")
    assert model.index(row, 1).data() == "BLOCK"
    assert model.index(row, 1).data(Qt.ItemDataRole.FontRole).bold()
    assert view.overview.values["Recommendation"].text().startswith("blocked")
    # The subject table lists subject-level checks only (issue 18 item 10), each adding up to the subjects
    counts = {c.code: c for c in view.checks.code_counts.rows()}
    assert "COURT-ORDER" not in counts and "AUTHORITY" not in counts
    subjects = view.snapshot.evaluation.subjects
    assert all(c.passed + c.failed + c.needs_review == subjects for c in counts.values())


def test_subject_findings_filtered_by_status_and_outcome(qtbot, desktop: DesktopApp, qtmodeltester) -> None:
    window = unlock(qtbot, desktop, "rita")
    open_request(qtbot, window, "DEMO-I2-BULK")
    checks = window.request.checks
    window.show_tab(checks)
    wait_idle(qtbot, desktop.db)
    assert checks.subjects.model is not None and checks.subjects.model.rowCount() == 200
    qtbot.waitUntil(lambda: checks.subject_findings.rowCount() > 0, timeout=WAIT_MS)
    assert all(f.outcome != "pass" for f in checks.subject_findings.rows())      # "Not passed" is the default
    # Subject-level checks only, with their real counts (issue 18 item 10: pass used to be 0 on every row)
    counts = {c.code: c for c in checks.code_counts.rows()}
    assert list(counts) == ["NAME", "ADDRESS", "REASON", "MATCH", "ADDRESS-MATCH", "HOLD", "PERIOD-RECORD"]
    assert all(c.passed + c.failed + c.needs_review == 200 for c in counts.values())
    assert counts["NAME"].passed > 0 and counts["MATCH"].failed > 0 and counts["MATCH"].passed > 0
    row = next(r for r in range(checks.code_counts.rowCount()) if checks.code_counts.index(r, 0).data() == "NAME")
    headers = [checks.code_counts.headerData(c, Qt.Orientation.Horizontal) for c in range(4)]
    assert headers == ["Check", "fail", "needs-review", "pass"]
    assert checks.code_counts.index(row, 3).data() == f"{counts['NAME'].passed:,}"
    checks.outcome.setCurrentIndex(checks.outcome.findData("pass"))
    assert all(f.outcome == "pass" for f in checks.subject_findings.rows())
    checks.subjects.filter.setCurrentIndex(checks.subjects.filter.findData("no-record"))
    wait_idle(qtbot, desktop.db)
    model = checks.subjects.model
    assert 0 < model.rowCount() < 200
    qtmodeltester.check(model)
    wait_idle(qtbot, desktop.db)
    assert all(model.subject_at(r).status == "no-record" for r in range(model.rowCount()))


def test_subjects_load_page_by_page_without_blocking(qtbot, desktop: DesktopApp, qtmodeltester) -> None:
    window = unlock(qtbot, desktop, "rita")
    open_request(qtbot, window, "DEMO-I2-BULK")
    model = SubjectsModel(desktop.db, "DEMO-I2-BULK", 200, page_size=50)
    assert model.rowCount() == 200
    assert model.index(170, 1).data() == PENDING          # not cached: "…" at once, and the page is asked for
    assert model.subject_at(170) is None
    with qtbot.waitSignal(model.dataChanged, timeout=WAIT_MS) as changed:
        pass
    first, last = changed.args[0], changed.args[1]
    assert (first.row(), last.row()) == (150, 199)
    assert model.index(170, 0).data() == "171" and model.index(170, 1).data() != PENDING
    qtmodeltester.check(model)
    wait_idle(qtbot, desktop.db)


def test_overview_shows_the_package_as_plain_text(qtbot, desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "cora")
    open_request(qtbot, window, "DEMO-I2-VALID")
    values = window.request.overview.values
    assert values["Authority"].text() == "6103(i)(2)"
    assert "Federal Bureau of Investigation" in values["Requester"].text()
    assert all(label.textFormat() == Qt.TextFormat.PlainText for label in values.values())


def test_every_model_of_the_main_window_passes_the_model_tester(qtbot, desktop: DesktopApp, qtmodeltester) -> None:
    window = unlock(qtbot, desktop, "rita")
    open_request(qtbot, window, "DEMO-I2-VALID")
    for tab in (window.request.checks, window.request.subjects, window.request.preview):
        window.show_tab(tab)
        wait_idle(qtbot, desktop.db)
    qtbot.waitUntil(lambda: window.request.preview.fields.rowCount() > 0, timeout=WAIT_MS)
    models = [m for m in window.findChildren(QAbstractItemModel)
              if isinstance(m, RowsModel | SubjectsModel | QueueFilter)]
    kinds = {type(m).__name__ for m in models}
    assert {"RowsModel", "QueueModel", "QueueFilter", "SubjectsModel"} <= kinds and len(models) >= 9
    for model in models:
        qtmodeltester.check(model)
    wait_idle(qtbot, desktop.db)
