"""What this build of the service can do. Parts of the service land while the GUI is built against them, so
the Decision and Letter tabs ask here and say "not available yet" rather than fail."""

from __future__ import annotations

from dataclasses import dataclass

from workstation.service import Session


@dataclass(frozen=True, slots=True)
class Capabilities:
    decide: bool
    approve: bool
    decision: bool
    issue_letter: bool
    record_letter_output: bool

    @classmethod
    def of(cls, session_class: type = Session) -> Capabilities:
        return cls(*(hasattr(session_class, name) for name in
                     ("decide", "approve", "decision", "issue_letter", "record_letter_output")))

    @property
    def letters(self) -> bool:
        return self.issue_letter and self.record_letter_output


NOT_AVAILABLE = "{what} is not available yet in this version of the workstation."
