"""Frozen value objects the widgets hold: built in the worker from the service's answers, never rows or
cursors. (The core's own frozen dataclasses — QueueRow, SubjectRow, SubjectFinding, PreviewField,
RequestPackage, DecisionInfo, OverrideEntry — cross the boundary as they are.)"""

from __future__ import annotations

from dataclasses import dataclass

from workstation.model import RequestActions, RequestPackage, SubjectCheckCount
from workstation.results import DecisionInfo, EvaluationDoc, OverrideEntry
from workstation.rules.subject_counts import subject_check_counts

OUTCOME_ORDER: tuple[str, ...] = ("block", "fail", "needs-review", "pass")


@dataclass(frozen=True, slots=True)
class SessionInfo:
    user: str | None              # None for a recovery-code session
    role: str
    idle_lock_minutes: int
    key_on_card: bool = False     # signs with a key on a PKCS#11 token: signing asks for the card's PIN
    store: str = ""               # the store folder (Help › About)
    high_contrast: bool | None = None    # the user's View › High contrast choice (None: as the desktop asks)

    @property
    def signing_secret(self) -> str:
        """What signing asks for again right before it signs."""
        return "card PIN" if self.key_on_card else "passphrase"

    @property
    def recovery(self) -> bool:
        return self.user is None

    @property
    def label(self) -> str:
        return "recovery-code session (admin)" if self.user is None else f"{self.user} ({self.role})"


@dataclass(frozen=True, slots=True)
class RequestCheck:
    code: str
    outcome: str
    message: str
    citation: str


@dataclass(frozen=True, slots=True)
class Evaluation:
    as_of: str
    recommendation: str
    needs_review: bool
    subjects: int
    releasable: int
    withheld: int
    no_record: int
    request_checks: tuple[RequestCheck, ...]
    subject_checks: tuple[SubjectCheckCount, ...]   # the subject-level checks: pass / fail / needs review

    @classmethod
    def from_doc(cls, doc: EvaluationDoc, authority: str) -> Evaluation:
        counts = doc["counts"]
        checks = tuple(RequestCheck(f["code"], f["outcome"], f["message"], f["citation"])
                       for f in doc["request_findings"])
        by_code = subject_check_counts(authority, int(counts["subjects"]), doc["code_counts"],
                                       doc["request_findings"])
        return cls(doc["as_of"], doc["recommendation"], bool(doc["needs_review"]), int(counts["subjects"]),
                   int(counts["releasable"]), int(counts["withheld"]), int(counts["no_record"]), checks, by_code)


@dataclass(frozen=True, slots=True)
class RequestSnapshot:
    """Everything the request view shows that is not per subject."""

    request_id: str
    package: RequestPackage
    evaluation: Evaluation
    overrides: tuple[OverrideEntry, ...]
    decision: DecisionInfo | None
    actions: RequestActions       # what this user may do with the request now, and why not


@dataclass(frozen=True, slots=True)
class LogStatus:
    entries: int
    ok: bool
    first_bad_entry: int | None

    @property
    def label(self) -> str:
        if self.ok:
            return f"Log: {self.entries:,} entries, chain verified"
        return f"Log: TAMPERING FOUND at entry {self.first_bad_entry} — run Verify"
