"""What this build of the service can do, and what the signed-in user's role may do.

Parts of the service land while the GUI is built against them, so the Decision and Letter tabs ask here and
say "not available yet" rather than fail. Menu actions a role may not use are disabled with the service's
reason (`refusal`)."""

from __future__ import annotations

from dataclasses import dataclass

from workstation.errors import PermissionDenied
from workstation.service import Session, roles


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


def refusal(role: str, action: str) -> str | None:
    """Why a user of `role` may not do the service action `action` (the service's own words, from its
    permission table: the GUI adds no rules), or None when they may."""
    try:
        roles.require(role or None, action)
    except PermissionDenied as exc:
        return str(exc)
    return None
