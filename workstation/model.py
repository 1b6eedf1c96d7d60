"""Plain value objects shared by the core, the CLI and the GUI. No behaviour, no SQL, no Qt."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ELEMENTS: tuple[str, ...] = (
    "name", "tin", "address",
    "filing_status", "agi", "total_tax", "refund", "dependents", "phone", "bank_account",
    "wages", "employer", "interest",
)
IDENTITY = "identity"
TRI = "tri"                    # taxpayer return information
OTHER = "other-than-tri"       # return information other than TRI (third-party information returns)
ELEMENT_CLASS: dict[str, str] = {
    "name": IDENTITY, "tin": IDENTITY, "address": IDENTITY,
    "filing_status": TRI, "agi": TRI, "total_tax": TRI, "refund": TRI, "dependents": TRI,
    "phone": TRI, "bank_account": TRI,
    "wages": OTHER, "employer": OTHER, "interest": OTHER,
}
AUTHORITIES: tuple[str, ...] = ("6103(i)(2)", "6103(i)(1)", "6103(c)", "6103(d)(1)", "foia")
SIGNER_ROLES: tuple[str, ...] = (
    "head-of-agency", "inspector-general", "doj-listed", "head-of-state-tax-agency",
    "delegate", "taxpayer", "other",
)
STATUTE_CLASSES: tuple[str, ...] = ("criminal", "civil", "tax")
PURPOSE_CATEGORIES: tuple[str, ...] = (
    "nontax-criminal", "immigration-civil", "tax-administration", "state-tax", "consented", "foia", "other",
)
USER_ROLES: tuple[str, ...] = ("reviewer", "approver", "counsel", "auditor", "admin")
# An office's roles (store/office/roles.py: a group role on the server each)
OfficeRole = Literal["preparer", "approver", "counsel", "auditor", "admin"]
OFFICE_ROLES: tuple[OfficeRole, ...] = ("preparer", "approver", "counsel", "auditor", "admin")
ORDER_STATUSES: tuple[str, ...] = ("active", "stayed", "vacated")
# A request's status in the queue, in the order a request moves through them.
REQUEST_STATUSES: tuple[str, ...] = ("new", "evaluated", "approval-pending", "decided", "approved")
TIN_TYPES: tuple[str, ...] = ("SSN", "ITIN", "EIN")
# A taxpayer record's values that no check reads: the store keeps them in the record's CSV line (schema 11).
RECORD_DATA_COLUMNS: tuple[str, ...] = (
    "street", "city", "state", "zip", "address_as_of", "filing_status", "agi", "total_tax", "refund",
    "dependents", "phone", "bank_account", "wages", "employer", "interest",
)


@dataclass(frozen=True, slots=True)
class Address:
    street: str
    city: str
    state: str
    zip: str


@dataclass(frozen=True, slots=True)
class Subject:
    ref: str
    name: str
    tin: str | None
    address: Address | None
    periods: tuple[str, ...]
    case_no: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class Requester:
    agency: str
    component: str | None
    agency_code: str | None
    address_lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Signer:
    name: str
    title: str | None
    role: str
    signature_present: bool


@dataclass(frozen=True, slots=True)
class Officer:
    name: str
    title: str | None
    active_matters: int | None


@dataclass(frozen=True, slots=True)
class CourtOrderRef:
    """The (i)(1) ex parte order carried inside a request package."""

    court: str
    judge: str
    case_no: str
    signed_on: str
    items: tuple[str, ...]
    periods: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Consent:
    taxpayer_name: str
    taxpayer_tin: str
    designee: str
    items: tuple[str, ...]
    periods: tuple[str, ...]
    signed_on: str
    signature_present: bool


@dataclass(frozen=True, slots=True)
class RequestPackage:
    """A request as read from a `dws.request/1` package, minus its subjects (which may be a million)."""

    request_id: str
    received_on: str
    authority: str
    in_writing: bool
    requester: Requester
    signer: Signer
    statute: dict[str, str] | None
    purpose: dict[str, str] | None
    solely_for_use_certified: bool
    officers: tuple[Officer, ...]
    items: tuple[str, ...]
    periods: tuple[str, ...]
    court_order: CourtOrderRef | None
    consent: Consent | None
    subjects_csv: str | None = None


@dataclass(frozen=True, slots=True)
class CourtOrder:
    court: str
    case_no: str
    caption: str
    signed_on: str
    effective_from: str
    effective_to: str | None
    status: str
    enjoined_recipients: tuple[str, ...]
    enjoined_purposes: tuple[str, ...]
    enjoined_items: tuple[str, ...]
    note: str | None


@dataclass(frozen=True, slots=True)
class AgencyEntry:
    agency_code: str
    name: str
    safeguards_current: bool
    open_findings: int
    corrective_plan: bool
    last_review: str | None


@dataclass(frozen=True, slots=True)
class QueueRow:
    request_id: str
    agency: str
    agency_code: str | None
    authority: str
    received_on: str
    due_on: str | None
    subjects: int
    status: str
    recommendation: str | None = None
    claimed_by: str | None = None           # an office's: the preparer whose evaluation claimed it (local: None)


@dataclass(frozen=True, slots=True)
class ImportSummary:
    kind: str
    source: str
    rows: int
    inserted: int = 0
    replaced: int = 0
    ident: str | None = None
    details: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SettingRow:
    """A setting as the Settings dialog and `dws settings` show it."""

    key: str
    value: Any
    default: Any
    refusal: str | None            # why this user may not change it; None when they may


@dataclass(frozen=True, slots=True)
class UserInfo:
    name: str
    role: str
    fingerprint: str
    active: bool = True
    token: str | None = None        # the token's label when the signing key is on a PKCS#11 token (a PIV card)

    @property
    def key_location(self) -> str:
        return f"card (token {self.token!r})" if self.token is not None else "keyslot"


@dataclass(frozen=True, slots=True)
class SubjectRow:
    """One subject of a request as the Subjects tab and the letters list it (no taxpayer values beyond
    the reference the requester gave)."""

    seq: int
    ref: str
    status: str                      # releasable | withheld | no-record | review
    codes: tuple[str, ...]           # failing codes
    released: tuple[str, ...]
    withheld: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class MatchCandidate:
    """A taxpayer on file that MATCH found for a subject it found more than one for (needs review): named to
    the officer by the masked TIN, its type and the tax years on file; never in a letter."""

    tin: str                         # masked to its last four digits: ***-**-1234 (an EIN **-***1234)
    tin_type: str
    years: tuple[int, ...]           # newest first


@dataclass(frozen=True, slots=True)
class SubjectFinding:
    code: str
    outcome: str
    message: str
    citation: str
    candidates: tuple[MatchCandidate, ...] = ()     # MATCH needing review: the taxpayers it found


# --- the audit log's checkpoints, witnesses and proofs (service/witness.py, service/proofs.py) -------------

@dataclass(frozen=True, slots=True)
class CheckpointInfo:
    size: int
    root_hex: str
    note: str                   # the signed checkpoint, exactly as written to files and letters
    signer: str
    verifier_key: str           # the signer's signed-note verifier key


@dataclass(frozen=True, slots=True)
class WitnessCheck:
    """One checkpoint given to `verify --against`, and what it proved."""

    source: str                 # the file (for a witness folder: the file in it)
    size: int | None            # None when it could not be read as a checkpoint of this store
    signer: str | None          # the user whose enrolled key signed it
    ok: bool
    problem: str | None = None  # why it fails (None when ok)
    first_bad_entry: int | None = None    # the first entry that no longer matches (or may not)
    last_bad_entry: int | None = None     # when the tree can only narrow it down: the range's end

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "size": self.size, "signer": self.signer, "ok": self.ok,
                "problem": self.problem, "first_bad_entry": self.first_bad_entry,
                "last_bad_entry": self.last_bad_entry}


@dataclass(frozen=True, slots=True)
class WitnessWrite:
    path: str
    size: int


@dataclass(frozen=True, slots=True)
class WitnessOutcome:
    """What became of a checkpoint meant for the witness folder (on lock, exit, or after a command that wrote
    to the log), or when the folder last received one. Never an error: the user's work goes on."""

    folder: str | None          # None: nothing to write (a recovery-code session cannot sign)
    path: str | None = None     # the checkpoint file (the newest one, for a status)
    size: int | None = None     # entries it covers
    at: str | None = None       # UTC timestamp it was written
    warning: str | None = None  # why nothing was written (the folder is missing or cannot be written)
    notice: str | None = None   # said once: the default folder beside the store was just created
    beside_store: bool = False  # the default folder (it should be moved off this computer)

    @property
    def skipped(self) -> bool:
        return self.folder is None


@dataclass(frozen=True, slots=True)
class InclusionProof:
    seq: int
    checkpoint: str
    leaf_hash: str
    path: tuple[str, ...]
    entry: str                  # the entry's canonical bytes (what the leaf hashes), as text

    def as_dict(self) -> dict[str, Any]:
        """The `dws.inclusion/1` document of INTERCHANGE.md (leaf_index counts from 0: entry seq - 1)."""
        return {"format": "dws.inclusion/1", "checkpoint": self.checkpoint, "leaf_index": self.seq - 1,
                "leaf_hash": self.leaf_hash, "path": list(self.path)}


@dataclass(frozen=True, slots=True)
class TaxpayerViews:
    """`dws log prove --tin-file`: the proof of every logged view of one taxpayer's data, and what the list may
    leave out, one line each (an office upgraded from before it kept subjects' matches, an office that could not
    log the export): never a TIN."""

    proofs: list[InclusionProof]
    notices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SubjectCheckCount:
    """One subject-level check of a request: how many of its subjects passed, failed or need review."""

    code: str
    passed: int
    failed: int
    needs_review: int

    def count(self, outcome: str) -> int:
        return {"pass": self.passed, "fail": self.failed, "needs-review": self.needs_review}.get(outcome, 0)


@dataclass(frozen=True, slots=True)
class Permit:
    """May the signed-in user do one command on a request now: `reason` says why not (None when they may)."""

    reason: str | None = None

    @property
    def allowed(self) -> bool:
        return self.reason is None


@dataclass(frozen=True, slots=True)
class RequestActions:
    """What the signed-in user may do with one request in its present state (`Session.request_actions`), each
    refusal in words a user can act on: the menus, toolbar and buttons are enabled from it."""

    request_id: str
    evaluate: Permit
    decide: Permit
    approve: Permit
    issue_letter: Permit
    letter_output: Permit           # print or save the issued letter


@dataclass(frozen=True, slots=True)
class SigningSummary:
    """What a decision signature covers, restated before the passphrase is asked: the request, the outcome
    and the recommendation, what is released to how many subjects, and the SHA-256 of the exact bytes signed.
    From `Session.prepare_decision` (a decision about to be signed: `Session.sign_decision` signs `document`
    only if the request is still as it was) or `Session.approval_summary` (the stored decision an approver
    is about to sign)."""

    request_id: str
    decision_id: str
    outcome: str
    recommendation: str
    justification: str | None
    needs_approval: bool
    released_items: tuple[str, ...]     # the elements released to at least one subject (none for a denial)
    subjects: int
    released: int                       # subjects something is released about
    withheld: int                       # subjects with a record of whom nothing is released
    no_record: int
    preparer: str
    preparer_fingerprint: str
    as_of: str
    doc_hash: str                       # SHA-256 (hex) of `document`: the decision's hash, stored with it
    document: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class OfficeEvent:
    """What an office desktop's queue watch heard (service/office_desktop.QueueWatch): a request imported or
    changed by any desktop ("changed", its request id), the office server lost ("unreachable", the message to
    show) or reached again after that ("reachable")."""

    kind: str                           # "changed", "unreachable" or "reachable"
    request_id: str | None = None
    message: str | None = None
