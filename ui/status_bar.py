"""The status bar: who is signed in (user and role), the idle-lock timer, the audit log's state, and when the
witness folder last received a checkpoint. Each is a label a screen reader reads as shown; a message (an import's
outcome, the reason a highlighted menu entry is not available) is announced, and a log found tampered with is
announced at once."""

from __future__ import annotations

import sys
from datetime import datetime

from PySide6.QtWidgets import QStatusBar, QWidget

from workstation.model import WitnessOutcome
from workstation.service.witness_folder import SETTING

from .a11y import announce
from .labels import InfoLabel
from .lockout import minutes_seconds
from .values import LogStatus, SessionInfo

NOTICE_MS = 30_000
LOCK_WARNING_S = 30            # warned (shown and announced) this long before the idle lock: any key stays


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
        self.setAccessibleName("Status")
        self.user = self._item(f"User: {info.label}")
        self.lock_timer = self._item("")
        self.log = self._item("Log: checking…")
        self.witness = self._item("Witness: checking…")
        self._remaining: int | None = None
        self.messageChanged.connect(self.on_message_changed)

    def _item(self, text: str) -> InfoLabel:
        label = InfoLabel("", text)
        label.setWordWrap(False)
        self.addPermanentWidget(label)
        return label

    def on_message_changed(self, text: str) -> None:
        """A message shown (or cleared): in the bar's description, and said aloud."""
        self.setAccessibleDescription(text)
        announce(self, text)

    def on_lock_remaining_changed(self, seconds: int) -> None:
        """The idle-lock countdown; crossing LOCK_WARNING_S it warns (WCAG 2.2.1: any key or mouse move stays)."""
        self.lock_timer.setText(f"Locks in {minutes_seconds(seconds)} (Ctrl+L locks now)")
        if self._remaining is not None and seconds <= LOCK_WARNING_S < self._remaining:
            self.showMessage(f"The workstation locks in {seconds} seconds: press any key to stay.",
                             LOCK_WARNING_S * 1000)
        self._remaining = seconds

    def on_log_status_loaded(self, status: LogStatus) -> None:
        if not status.ok and status.label != self.log.text():
            announce(self.log, status.label, assertive=True)
        self.log.setText(status.label)

    def on_witness_outcome_loaded(self, outcome: WitnessOutcome) -> None:
        """A checkpoint written (or not: a warning here and on stderr), or the folder's state at start."""
        text, tip = witness_text(outcome)
        self.witness.setText(text)
        self.witness.setToolTip(tip)
        if outcome.warning:
            announce(self.witness, f"{text}. {tip}")
            print(f"dws: warning: {outcome.warning}", file=sys.stderr)
        if outcome.notice:
            self.showMessage(outcome.notice[0].upper() + outcome.notice[1:], NOTICE_MS)
