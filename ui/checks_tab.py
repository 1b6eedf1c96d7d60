"""The Checks tab: every request-level check with its citation, how many subjects got each outcome per
check code, and the findings of one subject (subjects filtered by status, findings by outcome)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workstation.model import MatchCandidate, SubjectCheckCount, SubjectFinding

from .database import DbClient
from .labels import InfoLabel
from .rows_model import Column, RowsModel
from .subjects_panel import SubjectsPanel
from .values import OUTCOME_ORDER, RequestCheck, RequestSnapshot

NOT_PASSED = "not-pass"
SUBJECT_OUTCOMES = ("fail", "needs-review", "pass")       # a subject check never blocks


def _outcome_style(row: RequestCheck | SubjectFinding, column: int, role: int) -> object:
    if role == Qt.ItemDataRole.FontRole and column == 1 and row.outcome in ("block", "fail"):
        font = QFont()
        font.setBold(True)
        return font
    return None


def _severity(check: RequestCheck) -> int:
    return OUTCOME_ORDER.index(check.outcome) if check.outcome in OUTCOME_ORDER else len(OUTCOME_ORDER)


def _table(name: str, model: RowsModel, wrap_column: int | None = None) -> QTableView:  # type: ignore[type-arg]
    """A read-only table; `wrap_column` (a long message) takes the spare width and wraps."""
    view = QTableView()
    view.setTabKeyNavigation(False)      # Tab leaves the table; the arrow keys move in it
    view.setAccessibleName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setWordWrap(True)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if wrap_column is None:
        header.setStretchLastSection(True)
    else:                      # the message takes the spare width; the citation after it wraps at ~28 characters
        header.setSectionResizeMode(wrap_column, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(wrap_column + 1, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(wrap_column + 1, view.fontMetrics().horizontalAdvance("M" * 18))
    return view


def candidates_text(candidates: tuple[MatchCandidate, ...]) -> str:
    """The taxpayers MATCH found for a subject that needs review, as the findings view names them."""
    if not candidates:
        return ""
    lines = [f"{c.tin} ({c.tin_type}), years on file: {', '.join(map(str, c.years)) or 'none'}"
             for c in candidates]
    return (f"MATCH found {len(candidates)} taxpayers on file; decide which one the requester means:\n"
            + "\n".join(f"  \u2022 {line}" for line in lines))


def _boxed(title: str, *widgets: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    for widget in widgets:
        layout.addWidget(widget)
    return box


class ChecksTab(QWidget):
    subject_selected = Signal(int, str)

    def __init__(self, db: DbClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self._request_id: str | None = None
        self._seq: int | None = None
        self._findings: tuple[SubjectFinding, ...] = ()
        self.request_checks = RowsModel[RequestCheck]((
            Column("Check", lambda f: f.code),
            Column("Outcome", lambda f: f.outcome.upper() if f.outcome == "block" else f.outcome,
                   sort=_severity),
            Column("Finding", lambda f: f.message, tooltip=True),
            Column("Citation", lambda f: f.citation, tooltip=True),
        ), parent=self, style=_outcome_style)
        self.code_counts = RowsModel[SubjectCheckCount]((
            Column("Check", lambda c: c.code),
            *(Column(outcome, lambda c, o=outcome: f"{c.count(o):,}", sort=lambda c, o=outcome: c.count(o))
              for outcome in SUBJECT_OUTCOMES),
        ), parent=self)
        self.subject_findings = RowsModel[SubjectFinding]((
            Column("Check", lambda f: f.code),
            Column("Outcome", lambda f: f.outcome),
            Column("Finding", lambda f: f.message, tooltip=True),
            Column("Citation", lambda f: f.citation, tooltip=True),
        ), parent=self, style=_outcome_style)
        self.subjects = SubjectsPanel(db, "Subjects by status", self)
        self.subjects.subject_selected.connect(self.on_subject_selected)
        self.outcome = QComboBox()
        self.outcome.setAccessibleName("Show subject findings by outcome")
        self.outcome.addItem("All outcomes", "")
        self.outcome.addItem("Not passed", NOT_PASSED)
        for outcome in OUTCOME_ORDER:
            self.outcome.addItem(outcome, outcome)
        self.outcome.setCurrentIndex(1)
        self.outcome.currentIndexChanged.connect(self.on_outcome_filter_changed)
        self.subject_title = InfoLabel("Findings of", "no subject selected")
        self.request_view = _table("Request checks", self.request_checks, wrap_column=2)
        self.counts_view = _table("Subject checks by code", self.code_counts)
        self.findings_view = _table("Findings of the selected subject", self.subject_findings, wrap_column=2)
        # MATCH's candidates for a subject that needs review: masked TINs, never their data (a logged view)
        self.candidates = InfoLabel(selectable=True)
        self.candidates.hide()
        outcome_label = QLabel("Outco&me:")
        outcome_label.setBuddy(self.outcome)
        filter_row = QHBoxLayout()
        filter_row.addWidget(self.subject_title, 1)
        filter_row.addWidget(outcome_label)
        filter_row.addWidget(self.outcome)
        findings = QWidget()
        findings_layout = QVBoxLayout(findings)
        findings_layout.setContentsMargins(0, 0, 0, 0)
        findings_layout.addLayout(filter_row)
        findings_layout.addWidget(self.findings_view)
        findings_layout.addWidget(self.candidates)
        per_subject = QSplitter(Qt.Orientation.Horizontal)
        per_subject.addWidget(self.subjects)
        per_subject.addWidget(findings)
        per_subject.setStretchFactor(0, 1)
        per_subject.setStretchFactor(1, 1)
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(_boxed("Request checks", self.request_view))
        top.addWidget(_boxed("Subject checks: subjects per outcome", self.counts_view))
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(_boxed("Subject findings", per_subject))
        layout = QVBoxLayout(self)
        layout.addWidget(split)

    def show_snapshot(self, snapshot: RequestSnapshot) -> None:
        self._request_id = snapshot.request_id
        evaluation = snapshot.evaluation
        self.request_checks.set_rows(sorted(evaluation.request_checks, key=_severity))   # blocks first
        self.code_counts.set_rows(evaluation.subject_checks)
        self.subjects.show_request(snapshot.request_id, evaluation.subjects)

    def on_subject_selected(self, seq: int, ref: str) -> None:
        rid = self._request_id
        if rid is None:
            return
        self._seq = seq
        self.subject_title.setText(f"Subject {seq + 1:,} (reference {ref})")
        self.candidates.clear()
        self.candidates.hide()
        self._db.call(lambda s: tuple(s.subject_findings(rid, seq)), lambda f: self.on_findings_loaded(rid, seq, f),
                      owner=self)
        self.subject_selected.emit(seq, ref)

    def on_findings_loaded(self, request_id: str, seq: int, findings: tuple[SubjectFinding, ...]) -> None:
        if request_id == self._request_id and seq == self._seq:
            self._findings = findings
            text = candidates_text(next((f.candidates for f in findings if f.candidates), ()))
            self.candidates.setText(text)
            self.candidates.setVisible(bool(text))
            self.on_outcome_filter_changed()

    def on_outcome_filter_changed(self) -> None:
        wanted = self.outcome.currentData()
        rows = [f for f in self._findings if not wanted or f.outcome == wanted
                or (wanted == NOT_PASSED and f.outcome != "pass")]
        self.subject_findings.set_rows(rows)
