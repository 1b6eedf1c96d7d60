"""The status bar: who is signed in (user and role), the idle-lock timer, the audit log's state, and when the
witness folder last received a checkpoint."""

from __future__ import annotations

import sys
from datetime import datetime

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from workstation.model import WitnessOutcome
from workstation.service.witness_folder import SETTING

from .lockout import minutes_seconds
from .values import LogStatus, SessionInfo

NOTICE_MS = 30_000


def witness_text(outcome: WitnessOutcome) -> tuple[str, str]:
    """(the label, its tooltip) for the witness folder's state."""
    if outcome.skipped:
        why = outcome.warning or outcome.notice       # a checkpoint key on a card that is not open (or gone)
        if why:
            return "Witness: not signed", why[0].upper() + why[1:] + "."
        return "Witness: —", "A recovery-code session cannot sign checkpoints of the audit log."
    if outcome.warning:
        return "Witness folder unavailable", outcome.warning
    if outcome.at:
        local = datetime.fromisoformat(outcome.at.replace("Z", "+00:00")).astimezone()
        size = f" of {outcome.size:,} log entries" if outcome.size is not None else ""
        tip = (f"The witness folder {outcome.folder} last received a checkpoint{size} on {local:%Y-%m-%d at %H:%M}. "
               "One is written on every lock and exit.")
        if outcome.beside_store:
            return (f"Witness: {local:%H:%M} (beside the store)",
                    tip + f" It is beside the store: an administrator should set '{SETTING}' to a removable drive "
                    "or a share the users cannot rewrite.")
        return f"Witness: {local:%H:%M}", tip
    return "Witness: none yet", (f"No checkpoint in the witness folder {outcome.folder} yet; one is written on "
                                 "every lock and exit.")


class StatusBar(QStatusBar):
    def __init__(self, info: SessionInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.user = QLabel(f"User: {info.label}")
        self.user.setAccessibleName("Signed-in user and role")
        self.lock_timer = QLabel("")
        self.lock_timer.setAccessibleName("Time until the screen locks")
        self.log = QLabel("Log: checking…")
        self.log.setAccessibleName("Audit log status")
        self.addPermanentWidget(self.user)
        self.addPermanentWidget(self.lock_timer)
        self.witness = QLabel("Witness: checking…")
        self.witness.setAccessibleName("Witness folder status")
        self.addPermanentWidget(self.log)
        self.addPermanentWidget(self.witness)

    def on_lock_remaining_changed(self, seconds: int) -> None:
        self.lock_timer.setText(f"Locks in {minutes_seconds(seconds)} (Ctrl+L locks now)")

    def on_log_status_loaded(self, status: LogStatus) -> None:
        self.log.setText(status.label)

    def on_witness_outcome_loaded(self, outcome: WitnessOutcome) -> None:
        """A checkpoint written (or not: a warning here and on stderr), or the folder's state at start."""
        text, tip = witness_text(outcome)
        self.witness.setText(text)
        self.witness.setToolTip(tip)
        if outcome.warning:
            print(f"dws: warning: {outcome.warning}", file=sys.stderr)
        if outcome.notice:
            self.showMessage(outcome.notice[0].upper() + outcome.notice[1:], NOTICE_MS)
