"""The Decision tab: the signed decision and its approval. Signing first shows what is signed (the service
prepares the decision document: `SigningDialog`), then asks the passphrase (the card's PIN for a user whose
key is on a PKCS#11 token) again; the signing runs in the DB worker behind a modal wait (Electrum's
@protected). Sign and Approve are the request's shared actions (`RequestCommands`), enabled from what the
service says this user may do."""

from __future__ import annotations

from typing import Any

import shiboken6
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

from workstation.model import SigningSummary

from .capabilities import NOT_AVAILABLE, Capabilities
from .commands import NO_REQUEST, RequestCommands
from .database import DbClient
from .labels import InfoLabel
from .signing_dialog import SigningDialog
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

    def __init__(self, db: DbClient, caps: Capabilities, info: SessionInfo, commands: RequestCommands,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db, self._caps, self._info, self._commands = db, caps, info, commands
        self._snapshot: RequestSnapshot | None = None
        self._dialog: SigningDialog | None = None
        self.state = InfoLabel("Decision", selectable=True, announce=True)
        self.outcome = QComboBox()
        self.outcome.setAccessibleName("Outcome")
        self.outcome.addItems(OUTCOMES)
        self.justification = QPlainTextEdit()
        self.justification.setAccessibleName("Justification")
        self.justification.setPlaceholderText("Needed when deciding against the recommendation (no identifiers).")
        self.justification.setTabChangesFocus(True)
        self.sign = QPushButton("S&ign decision…")
        commands.bind(self.sign, "decide")
        self.approve = QPushButton("&Approve decision…")
        commands.bind(self.approve, "approve")
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

    @property
    def dialog(self) -> SigningDialog | None:
        """The signing dialog opened last, while it is open."""
        return self._dialog if self._dialog is not None and shiboken6.isValid(self._dialog) else None

    def _update(self) -> None:
        gate = self._commands.gate
        if not (self._caps.decide and self._caps.decision):
            self.state.setText(NOT_AVAILABLE.format(what="Recording decisions"))
            self.controls.setEnabled(False)
            gate("decide", "recording decisions is not available yet in this version of the workstation")
            gate("approve", "approving decisions is not available yet in this version of the workstation")
            return
        snapshot = self._snapshot
        decision = snapshot.decision if snapshot else None
        self.state.setText(decision_text(decision) if snapshot else "Open a request from the queue.")
        gate("decide", NO_REQUEST if snapshot is None else snapshot.actions.decide.reason)
        gate("approve", NO_REQUEST if snapshot is None else
             snapshot.actions.approve.reason if self._caps.approve else
             "approving decisions is not available yet in this version of the workstation")
        self.outcome.setEnabled(self.sign.isEnabled())
        self.justification.setEnabled(self.sign.isEnabled())
        self.controls.setEnabled(True)

    # --- signing: what is signed first, then the passphrase ------------------------------------------------
    def on_sign_clicked(self) -> None:
        """Have the service prepare the decision (every check it must pass, the document and its hash), show it,
        and sign it once the passphrase is given."""
        if self._snapshot is None or not self.sign.isEnabled():
            return
        rid, outcome = self._snapshot.request_id, self.outcome.currentText()
        justification = self.justification.toPlainText() or None
        self._db.call(lambda s: s.prepare_decision(rid, outcome, justification),
                      lambda draft: self._confirm(draft, "Sign the decision"),
                      label="Preparing the decision…", owner=self)

    def on_approve_clicked(self) -> None:
        if self._snapshot is None or not self.approve.isEnabled():
            return
        rid = self._snapshot.request_id
        self._db.call(lambda s: s.approval_summary(rid), lambda summary: self._confirm(summary, "Approve the decision"),
                      label="Reading the decision…", owner=self)

    def _confirm(self, summary: SigningSummary, what: str) -> None:
        if self._snapshot is None or summary.request_id != self._snapshot.request_id:
            return                               # another request was opened meanwhile
        if self.dialog is not None:              # pressed twice: the one already open stays
            self.dialog.raise_()
            return
        dialog = SigningDialog(summary, what, self._info.key_on_card, self)
        approving = what.startswith("Approve")
        dialog.accepted.connect(lambda: self._signed(summary, dialog.take_passphrase(), approving))
        self._dialog = dialog
        dialog.open()

    def _signed(self, summary: SigningSummary, passphrase: str, approving: bool) -> None:
        rid = summary.request_id
        if approving:
            self._db.call(lambda s: s.approve(rid, passphrase, expected_hash=summary.doc_hash),
                          lambda _d: self.decision_signed.emit(rid), label="Approving the decision…", owner=self)
        else:
            self._db.call(lambda s: s.sign_decision(summary, passphrase), lambda _d: self.decision_signed.emit(rid),
                          label="Signing the decision…", owner=self)

    def sign_decision(self, outcome: str, justification: str, passphrase: str) -> None:
        """Decide and sign in one step (no dialog)."""
        if self._snapshot is None:
            return
        rid = self._snapshot.request_id
        self._db.call(lambda s: s.decide(rid, outcome, justification or None, passphrase),
                      lambda _d: self.decision_signed.emit(rid), label="Signing the decision…", owner=self)
