"""The Decision tab: the signed decision and its approval. The passphrase (the card's PIN for a user whose
key is on a PKCS#11 token) is asked again right before signing, and the signing runs in the DB worker behind
a modal wait (Electrum's @protected)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .capabilities import NOT_AVAILABLE, Capabilities
from .database import DbClient
from .dialog_parts import ask_passphrase
from .labels import plain_label
from .values import RequestSnapshot, SessionInfo

OUTCOMES = ("grant", "partial", "deny")


def decision_text(decision: Any) -> str:
    if decision is None:
        return "No decision has been signed for this request."
    lines = [f"Decision {decision.decision_id}: {decision.outcome} (recommendation was {decision.recommendation})",
             f"Status: {decision.status}" + (", needs a second signature" if decision.needs_approval
                                             and decision.status != "approved" else ""),
             f"Prepared by {decision.preparer} at {decision.prepared_at} (key {decision.preparer_fingerprint})"]
    if decision.approver:
        lines.append(f"Approved by {decision.approver} at {decision.approved_at} (key {decision.approver_fingerprint})")
    lines.append(f"Letter: {decision.letter_kind}; document hash {decision.doc_hash[:16]}…")
    return "\n".join(lines)


class DecisionTab(QWidget):
    decision_signed = Signal(str)          # request id (signed or approved)

    def __init__(self, db: DbClient, caps: Capabilities, info: SessionInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db, self._caps, self._info = db, caps, info
        self._snapshot: RequestSnapshot | None = None
        self.state = plain_label("", selectable=True)
        self.state.setAccessibleName("Current decision")
        self.outcome = QComboBox()
        self.outcome.setAccessibleName("Outcome")
        self.outcome.addItems(OUTCOMES)
        self.justification = QPlainTextEdit()
        self.justification.setAccessibleName("Justification")
        self.justification.setPlaceholderText("Needed when deciding against the recommendation (no identifiers).")
        self.justification.setTabChangesFocus(True)
        self.sign = QPushButton("S&ign decision…")
        self.sign.setAccessibleName(f"Sign the decision (asks for your {info.signing_secret})")
        self.sign.clicked.connect(self.on_sign_clicked)
        self.approve = QPushButton("&Approve decision…")
        self.approve.setAccessibleName(f"Approve the decision (asks for your {info.signing_secret})")
        self.approve.clicked.connect(self.on_approve_clicked)
        outcome_label = QLabel("Outco&me:")
        outcome_label.setBuddy(self.outcome)
        why_label = QLabel("&Justification:")
        why_label.setBuddy(self.justification)
        form = QFormLayout()
        form.addRow(outcome_label, self.outcome)
        form.addRow(why_label, self.justification)
        buttons = QHBoxLayout()
        buttons.addWidget(self.sign)
        buttons.addWidget(self.approve)
        buttons.addStretch(1)
        self.controls = QGroupBox("Decide")
        controls_layout = QVBoxLayout(self.controls)
        controls_layout.addLayout(form)
        controls_layout.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.state)
        layout.addWidget(self.controls)
        layout.addStretch(1)
        self._update()

    def show_snapshot(self, snapshot: RequestSnapshot) -> None:
        self._snapshot = snapshot
        recommendation = snapshot.evaluation.recommendation
        self.outcome.setCurrentText("deny" if recommendation == "blocked" else recommendation)
        self._update()

    def _update(self) -> None:
        if not (self._caps.decide and self._caps.decision):
            self.state.setText(NOT_AVAILABLE.format(what="Recording decisions"))
            self.controls.setEnabled(False)
            return
        decision = self._snapshot.decision if self._snapshot else None
        self.state.setText(decision_text(decision) if self._snapshot else "Open a request from the queue.")
        final = decision is not None and decision.status == "approved"
        self.sign.setEnabled(self._snapshot is not None and self._info.role == "reviewer" and not final)
        self.outcome.setEnabled(self.sign.isEnabled())
        self.justification.setEnabled(self.sign.isEnabled())
        self.approve.setEnabled(self._caps.approve and self._info.role == "approver" and decision is not None
                                and decision.status != "approved" and decision.preparer != self._info.user)
        self.controls.setEnabled(True)

    def on_sign_clicked(self) -> None:
        passphrase = ask_passphrase(self, "Sign the decision", self._info.key_on_card)
        if passphrase is not None:
            self.sign_decision(self.outcome.currentText(), self.justification.toPlainText(), passphrase)

    def on_approve_clicked(self) -> None:
        passphrase = ask_passphrase(self, "Approve the decision", self._info.key_on_card)
        if passphrase is not None:
            self.approve_decision(passphrase)

    def sign_decision(self, outcome: str, justification: str, passphrase: str) -> None:
        if self._snapshot is None:
            return
        rid = self._snapshot.request_id
        self._db.call(lambda s: s.decide(rid, outcome, justification or None, passphrase),
                      lambda _d: self.decision_signed.emit(rid), label="Signing the decision…", owner=self)

    def approve_decision(self, passphrase: str) -> None:
        if self._snapshot is None:
            return
        rid = self._snapshot.request_id
        self._db.call(lambda s: s.approve(rid, passphrase), lambda _d: self.decision_signed.emit(rid),
                      label="Approving the decision…", owner=self)
