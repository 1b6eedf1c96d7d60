"""One store interface, two engines (issue 19 item 1): what an unlocked store does for one user, whichever engine
holds it. `Session` (session.py, a local SQLCipher store) and `OfficeSession` (office_desktop.py, an office on
PostgreSQL, through office_engine.OfficeEngineMixin) both satisfy `StoreEngine`; mypy checks it (service/__init__.py
_both_are_store_engines), and tests/engines.py runs the same tests on both.

Every result is a typed value of workstation/model.py or workstation/results.py, the same type on both engines.
Where the office's value legitimately differs, the method says so here (the tests assert it explicitly):
- `verify`: the office checks its log's chain (and the checkpoints given); `decisions`, `signatures` and
  `certificates` stay 0: an office's signatures are checked by `verify_letter` and `export_decision`.
- `checkpoint_verifier_key`: each office user has their own checkpoint key, as locally (office/log_key.py); on an
  office whose schema is older than per-user keys, the office key signs and naming a user is an InputError.
- review and two-step signing (`request`, `subject_rows`, `preview`, ..., `prepare_decision`, `decision`): an office
  reads a request on its working copy (service/office_desktop_request.py), opened at the first such call as of
  its latest evaluation in the office; `request` on a request the office has not evaluated evaluates it as of today
  (as opening it in the office window does: the server holds no request in clear to read it from).
- `prove_entry`, `prove_request`, `prove_taxpayer_views`: the same `dws.inclusion/1` proofs and the same
  `log-proofs-exported` entries; an office proves against a checkpoint signed now (it keeps
  no checkpoints), finds a matched taxpayer's subjects by the matches its evaluations recorded (schema step 7), and
  says in `TaxpayerViews.notices` what an office upgraded from before that step leaves out (office_proofs.py).
- `decide`, `approve`, `letter`, `sign_decision`, `issue_letter`: their secret is the passphrase, or for a user
  whose key is on a smart card (`key_on_card`), the card's PIN, on both engines. `open_card` opens the card for the
  session's checkpoints where the user's checkpoint key is on it (`checkpoint_on_card`; on an office, a user enrolled
  with `--checkpoint-key-label`: schema step 10, office_card.py), `close_card` logs it out.
- the witness folder (`append_witness`, `witness_status`): an office desktop's is the `witness_folder` setting (only
  an office policy file sets it there), else the profile's "witness", else `<profile>-witness` beside the profile;
  `wrote_to_log` on an office is whether the office log grew since the unlock (another desktop's entries too).
- `queue`: the office's rows carry no recommendation (`dws list` on an office adds it, and the claim, from the
  evaluations: office_evaluation.queue_extras).

What only one engine has is listed in tests/engines.py (LOCAL_ONLY), each with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from ..model import (
    CheckpointInfo,
    CourtOrder,
    ImportSummary,
    InclusionProof,
    QueueRow,
    RequestActions,
    RequestPackage,
    SettingRow,
    SigningSummary,
    SubjectFinding,
    SubjectRow,
    TaxpayerViews,
    UserInfo,
    WitnessOutcome,
    WitnessWrite,
)
from ..redaction.preview import PreviewField
from ..results import (
    AccountingSummary,
    DecisionExport,
    DecisionInfo,
    EvaluationDoc,
    IssuedLetter,
    LetterCheck,
    OverrideEntry,
    VerifyReport,
)
from ..settings import Settings, SettingValue
from .context import CancelCheck, Progress


class StoreEngine(Protocol):
    """An unlocked store (local or office), as one signed-in user."""

    @property
    def user(self) -> str | None: ...

    @property
    def role(self) -> str | None: ...

    def close(self) -> None: ...

    # --- the queue and the imports -------------------------------------------------------------------
    def queue(self, status: str | None = None) -> list[QueueRow]: ...

    def import_records(self, path: Path, progress: Progress | None = None,
                       cancelled: CancelCheck | None = None) -> ImportSummary: ...

    def import_request(self, path: Path, progress: Progress | None = None,
                       cancelled: CancelCheck | None = None) -> ImportSummary: ...

    def import_order(self, path: Path) -> ImportSummary: ...

    def import_agency(self, path: Path) -> ImportSummary: ...

    def court_orders(self) -> list[CourtOrder]: ...

    # --- evaluation, decisions, letters --------------------------------------------------------------
    def evaluate(self, request_id: str, as_of: date | None = None, progress: Progress | None = None,
                 cancelled: CancelCheck | None = None) -> EvaluationDoc: ...

    def decide(self, request_id: str, outcome: str, justification: str | None, passphrase: str,
               as_of: date | None = None) -> DecisionInfo: ...

    def approve(self, request_id: str, passphrase: str, as_of: date | None = None,
                expected_hash: str | None = None) -> DecisionInfo: ...

    def export_decision(self, request_id: str) -> DecisionExport: ...

    def letter(self, request_id: str, secret: str) -> IssuedLetter: ...

    def verify_letter(self, data: bytes, source: str = "letter") -> LetterCheck: ...

    # --- review: the request, its subjects, the redaction preview -------------------------------------
    def request(self, request_id: str) -> RequestPackage: ...

    def evaluation_document(self, request_id: str, doc: EvaluationDoc, *, summary: bool) -> dict[str, Any]: ...

    def subject_count(self, request_id: str, status: str | None = None) -> int: ...

    def subject_rows(self, request_id: str, offset: int, limit: int,
                     status: str | None = None) -> list[SubjectRow]: ...

    def find_subjects(self, request_id: str, text: str) -> list[SubjectRow]: ...

    def subject_findings(self, request_id: str, seq: int) -> list[SubjectFinding]: ...

    def preview(self, request_id: str, seq: int) -> list[PreviewField]: ...

    def show_original(self, request_id: str, seq: int, reason: str) -> list[tuple[str, str]]: ...

    # --- two-step signing: the document shown, then signed --------------------------------------------
    def prepare_decision(self, request_id: str, outcome: str, justification: str | None,
                         as_of: date | None = None) -> SigningSummary: ...

    def sign_decision(self, draft: SigningSummary, passphrase: str) -> DecisionInfo: ...

    def approval_summary(self, request_id: str, as_of: date | None = None) -> SigningSummary: ...

    def request_actions(self, request_id: str, as_of: date | None = None) -> RequestActions: ...

    def decision(self, request_id: str) -> DecisionInfo | None: ...

    # --- letters kept, and the accounting of disclosures ----------------------------------------------
    def issue_letter(self, request_id: str, secret: str) -> bytes: ...

    def letter_bytes(self, request_id: str) -> bytes | None: ...

    def letter_text(self, request_id: str) -> str | None: ...

    def record_letter_output(self, request_id: str, action: str, target: str) -> None: ...

    def accounting(self, year: int) -> AccountingSummary: ...

    def export_accounting(self, year: int, path: Path) -> AccountingSummary: ...

    # --- overrides of the release plan (i19o: an office keeps them, store/office/overrides.py) -----------
    def add_override(self, request_id: str, ref: str | None, item: str, action: str, reason: str,
                     as_of: date | None = None) -> int: ...

    def undo_override(self, request_id: str, override_id: int) -> None: ...

    def overrides(self, request_id: str) -> list[OverrideEntry]: ...

    # --- settings and the user's preferences (i19o: an office's are office_settings.py) -------------------
    def settings(self) -> Settings: ...

    def setting(self, key: str) -> SettingValue: ...

    def setting_rows(self) -> tuple[SettingRow, ...]: ...

    def setting_refusal(self, key: str) -> str | None: ...

    def change_setting(self, key: str, value: object) -> None: ...

    def preference(self, key: str) -> Any: ...

    def set_preference(self, key: str, value: Any) -> bool: ...

    # --- users (i19o: an office's are its database logins, office_users.py) ----------------------------
    def users(self) -> list[UserInfo]: ...

    # --- asking again before signing; a signing key on a smart card (i19card) ---------------------------
    def reauthenticate(self, passphrase: str) -> object: ...

    def key_on_card(self) -> bool: ...

    def checkpoint_on_card(self) -> bool: ...

    def open_card(self, pin: str) -> None: ...

    def close_card(self) -> None: ...

    # --- the log -------------------------------------------------------------------------------------
    def verify(self, against: Sequence[Path] = ()) -> VerifyReport: ...

    def checkpoint(self) -> CheckpointInfo: ...

    def checkpoint_verifier_key(self, user: str | None = None) -> str: ...

    def prove_entry(self, seq: int) -> InclusionProof: ...

    def prove_request(self, request_id: str) -> list[InclusionProof]: ...

    def prove_taxpayer_views(self, tin: str) -> TaxpayerViews: ...

    def proofs_logged(self) -> bool: ...

    # --- the witness folder (a local store's: witness_folder.py; an office's: office_witness_folder.py) -------
    def write_witness(self, folder: Path) -> WitnessWrite: ...

    def append_witness(self) -> WitnessOutcome: ...

    def witness_status(self) -> WitnessOutcome: ...

    def wrote_to_log(self) -> bool: ...
