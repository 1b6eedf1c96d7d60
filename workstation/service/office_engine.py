"""`StoreEngine` (engine.py) on an office: the methods `OfficeSession` (office_desktop.py) gains from this mixin,
each the office service's function (office_*.py) that `dws --store PROFILE` runs, with the local `Session`'s
signature and result type. Reads go through the session's `_read` (connected again once when the connection was
lost), writes through `_write` (a lost server is OfficeError "unreachable").

Where the local store asks for the passphrase again before signing (`decide`, `approve`, `letter`), the office
checks it the same way (`reauthenticate`: the keyslot fetched at the unlock, on this desktop; AuthError "wrong
passphrase"); the office's signing key is then opened with the user's secret from that unlock, as `dws` does. A
user whose key is on a card (`key_on_card`) gives the card's PIN there instead, as locally: it opens the card for
that one signature (office/signing_key.card_signer); the PIN is not kept, and the card is logged out after it unless
the user's checkpoint key is on it too (schema step 10: then it stays open for the session's checkpoints,
office_card.py, as locally).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from .. import clock as clocks
from ..errors import DwsError
from ..model import (
    CheckpointInfo,
    CourtOrder,
    ImportSummary,
    InclusionProof,
    TaxpayerViews,
    WitnessCheck,
    WitnessOutcome,
    WitnessWrite,
)
from ..results import (
    AccountingSummary,
    DecisionExport,
    DecisionInfo,
    EvaluationDoc,
    IssuedLetter,
    LetterCheck,
    VerifyReport,
)
from . import (
    office_accounting,
    office_decisions,
    office_evaluation,
    office_letters,
    office_orders,
    office_proofs,
    office_session,
    office_witness,
    office_witness_folder,
)
from . import witness as witness_files
from .context import CancelCheck, Progress
from .office_records import OfficeCtx

if TYPE_CHECKING:
    from ..model import SettingRow, UserInfo
    from ..office.profile import OfficeProfile
    from ..office.unlock import OfficeSession as OpenOffice
    from ..settings import Settings, SettingValue

T = TypeVar("T")


class OfficeEngineMixin:
    """What `OfficeSession` has of `StoreEngine` beyond the queue and the imports (office_desktop.py)."""

    _ctx: OfficeCtx
    _opened: OpenOffice
    role: str                                           # OfficeSession's: the user's office role
    profile: OfficeProfile                              # OfficeSession's
    _head_at_open: int                                  # OfficeSession's: the office log's last seq at the unlock

    def _read(self, fn: Callable[[OfficeCtx], T]) -> T:
        raise NotImplementedError                       # OfficeSession's

    def _live(self) -> OfficeCtx:
        raise NotImplementedError                       # OfficeSession's

    def _write(self, fn: Callable[[OfficeCtx], T]) -> T:
        raise NotImplementedError                       # OfficeSession's

    def reauthenticate(self, passphrase: str) -> None:
        raise NotImplementedError                       # OfficeSession's

    def key_on_card(self) -> bool:
        raise NotImplementedError                       # OfficeSession's

    def _signing(self, secret: str, fn: Callable[[OfficeCtx], T]) -> T:
        raise NotImplementedError                       # OfficeSession's: the passphrase or the card's PIN

    def import_order(self, path: Path) -> ImportSummary:
        return self._write(lambda o: office_orders.import_order(o, path))

    def import_agency(self, path: Path) -> ImportSummary:
        return self._write(lambda o: office_orders.import_agency(o, path))

    def court_orders(self) -> list[CourtOrder]:
        return self._read(office_orders.court_orders)

    def evaluate(self, request_id: str, as_of: date | None = None, progress: Progress | None = None,
                 cancelled: CancelCheck | None = None) -> EvaluationDoc:
        day = as_of or clocks.today()
        return self._write(lambda o: office_evaluation.evaluate(o, request_id, day, summary=True, progress=progress,
                                                                cancelled=cancelled)).doc

    def decide(self, request_id: str, outcome: str, justification: str | None, passphrase: str,
               as_of: date | None = None) -> DecisionInfo:
        day = as_of or clocks.today()
        return self._signing(passphrase, lambda o: office_decisions.decide(o, request_id, outcome, justification,
                                                                           day))

    def approve(self, request_id: str, passphrase: str, as_of: date | None = None,
                expected_hash: str | None = None) -> DecisionInfo:
        day = as_of or clocks.today()
        return self._signing(passphrase, lambda o: office_decisions.approve(o, request_id, day, expected_hash))

    def export_decision(self, request_id: str) -> DecisionExport:
        return self._write(lambda o: office_decisions.export(o, request_id))

    def letter(self, request_id: str, secret: str) -> IssuedLetter:
        return self._signing(secret, lambda o: office_letters.issue(o, request_id, clocks.today()))

    def verify_letter(self, data: bytes, source: str = "letter") -> LetterCheck:
        return self._read(lambda o: office_letters.verify(o, data, source))

    # --- accounting (office_accounting.py) ---
    def accounting(self, year: int) -> AccountingSummary:
        return self._read(lambda o: office_accounting.summary(o, year))

    def export_accounting(self, year: int, path: Path) -> AccountingSummary:
        return self._write(lambda o: office_accounting.export(o, year, path))

    def verify(self, against: Sequence[Path] = ()) -> VerifyReport:
        """The office log's chain, and with `against` (checkpoint files, letter PDFs, witness folders) that it
        extends each; as the local VerifyReport (no decisions or signatures counted: engine.py)."""
        witnesses = witness_files.load(list(against)) if against else None

        def check(o: OfficeCtx) -> VerifyReport:
            checks: list[WitnessCheck] = []
            if witnesses is None:
                report = office_session.verify_log(o)
            else:
                report, checks = office_witness.check(o, witnesses)
            return VerifyReport(entries=report.entries, first_bad_entry=report.first_bad_entry,
                                problems=list(report.problems), witnesses=checks)

        return self._read(check)

    def checkpoint(self) -> CheckpointInfo:
        return self._read(office_witness.sign_checkpoint)

    # --- the witness folder (office_witness_folder.py) ------------------------------------------------------
    def write_witness(self, folder: Path) -> WitnessWrite:
        """Sign a checkpoint of the office log and write it to a witness folder (InputError: the folder is missing)."""
        return self._read(lambda o: office_witness_folder.write(o, folder))

    def append_witness(self) -> WitnessOutcome:
        """A checkpoint of the office log to this desktop's witness folder, as on every lock and exit: never raises
        for the folder or the server, its warning is in the outcome."""
        try:
            o = self._live()
        except DwsError as exc:         # the server is away: the work stands, the next lock or exit catches up
            return WitnessOutcome(None, warning=f"no checkpoint was written to the witness folder: {exc}")
        return office_witness_folder.append(o, self.profile)

    def witness_status(self) -> WitnessOutcome:
        """When the witness folder last received a checkpoint of this office's log (or why it cannot be read)."""
        return self._read(lambda o: office_witness_folder.status(o, self.profile))

    def wrote_to_log(self) -> bool:
        """Has the office log grown since this session was opened (by this desktop or another)?"""
        return self._read(office_witness_folder.head) > self._head_at_open

    def prove_entry(self, seq: int) -> InclusionProof:
        """`dws log prove --entry SEQ`: against a checkpoint signed now (office_proofs.py)."""
        return self._read(lambda o: office_proofs.prove_entry(o, seq))

    def prove_request(self, request_id: str) -> list[InclusionProof]:
        return self._write(lambda o: office_proofs.prove_request(o, request_id))

    def prove_taxpayer_views(self, tin: str) -> TaxpayerViews:
        return self._write(lambda o: office_proofs.prove_taxpayer_views(o, tin))

    def proofs_logged(self) -> bool:
        """Whether exporting proofs is logged (an office before schema step 7 cannot: office_proofs.UNLOGGED)."""
        return self._read(office_proofs.proofs_logged)

    # --- settings and preferences (i19o: office_settings.py) -----------------------------------------------
    def settings(self) -> Settings:
        from . import office_settings

        return self._read(office_settings.settings)

    def setting(self, key: str) -> SettingValue:
        from . import office_settings

        return self._read(lambda o: office_settings.setting(o, key))

    def setting_rows(self) -> tuple[SettingRow, ...]:
        from . import office_settings

        return self._read(lambda o: office_settings.setting_rows(o, self.role))

    def setting_refusal(self, key: str) -> str | None:
        from . import office_settings

        return office_settings.refusal(self.role, key)

    def change_setting(self, key: str, value: object) -> None:
        from . import office_settings

        self._write(lambda o: office_settings.change(o, self.role, key, value))

    def preference(self, key: str) -> object:
        from . import office_settings

        return self._read(lambda o: office_settings.preference(o, key))

    def set_preference(self, key: str, value: object) -> bool:
        from . import office_settings

        return self._write(lambda o: office_settings.set_preference(o, key, value))

    # --- users (i19o: office_users.py; enrolled with 'dws office enrol') ------------------------------------
    def users(self) -> list[UserInfo]:
        from . import office_users

        return self._read(office_users.users)

    def checkpoint_verifier_key(self, user: str | None = None) -> str:
        """A user's checkpoint verifier key (`dws log key [USER]`; default: the signed-in user's, office_witness.py)."""
        return self._read(lambda o: office_witness.verifier_key(o, user))

