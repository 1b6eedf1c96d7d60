"""What a letter is made from: plain values the service gathers from the store. No SQL, no reportlab.

A withheld value never gets here: the schedule carries only released values, the groups carry codes and
subject references.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..model import RequestPackage


@dataclass(frozen=True, slots=True)
class Office:
    name: str
    address_lines: tuple[str, ...]
    phone: str
    signature_name: str
    signature_title: str
    foia_public_liaison: str
    foia_appeal_lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SignerKey:
    role: str            # preparer | approver
    name: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class Verification:
    letter_id: str
    decision_id: str
    decision_hash: str                  # SHA-256 of the signed decision document
    signers: tuple[SignerKey, ...]

    @property
    def short_hash(self) -> str:
        return self.decision_hash[:16]

    @property
    def payload(self) -> str:
        """What the QR code holds: the same data as the printed block."""
        parts = [f"DWS-LETTER/1 {self.letter_id}", f"DECISION {self.decision_id}", f"HASH {self.short_hash}"]
        parts += [f"{s.role.upper()} {s.name} {s.fingerprint}" for s in self.signers]
        return "\n".join(parts)


@dataclass(frozen=True, slots=True)
class LogCheckpoint:
    """The signed checkpoint of the audit log made when the letter was issued (printed, in a QR code, and in
    the PDF's XMP metadata): the note verbatim, and what the block says about it."""

    note: str
    size: int
    signer: str


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """One released subject: its reference and (element, released text) in request order."""

    ref: str
    cells: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Group:
    """Subjects sharing one reason: a title (reason text with its code) and their compacted references."""

    title: str
    refs: str             # "1–3, 7, 9" (possibly cut short)
    count: int            # subjects in the group
    more: int = 0         # subjects not listed in `refs`


@dataclass(frozen=True, slots=True)
class BlockingOrder:
    court: str
    case_no: str
    caption: str
    signed_on: str


@dataclass(frozen=True, slots=True)
class RequestDefect:
    code: str
    outcome: str          # fail | block | needs-review
    message: str          # the finding's message (request-level facts only)
    citation: str


@dataclass
class LetterInput:
    kind: str                                   # transmittal | declination | foia-response
    texts: dict[str, Any]                       # the versioned template texts (kind + "common")
    letter_id: str
    letter_date: str                            # ISO date of the final signature
    created: str                                # UTC timestamp of the final signature (PDF dates)
    package: RequestPackage
    outcome: str
    subject_count: int
    released_count: int
    office: Office
    verification: Verification
    checkpoint: LogCheckpoint | None = None     # None only for a letter rendered outside the service
    justification: str | None = None
    defects: list[RequestDefect] = field(default_factory=list)
    orders: list[BlockingOrder] = field(default_factory=list)
    withheld: list[Group] = field(default_factory=list)
    subject_defects: list[Group] = field(default_factory=list)
    record_checks_shown: bool = True            # False: the letter says nothing about records existing
    fti: bool = False                           # carries taxpayer data: released values, or what the records
                                                # say about a named taxpayer (marked on every page)
    withheld_entries: int = 0                   # (FOIA estimate) element x subject entries withheld
    columns: tuple[str, ...] = ()               # elements the schedule shows, in request order
    schedule: Callable[[], Iterator[ScheduleRow]] | None = None

    @property
    def releases(self) -> bool:
        return self.outcome in ("grant", "partial") and self.released_count > 0
