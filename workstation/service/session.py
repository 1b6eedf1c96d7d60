"""Workstation (store folder level) and Session (one unlocked store, one user).

`Session` is the facade the CLI and the GUI call: thin methods, each handing the session's `Ctx` (context.py)
to the service module that does the work. No service module imports this one (tests/test_layering.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import clock as clocks
from .. import policy
from ..crypto.report import CryptoReport
from ..model import (
    CourtOrder,
    ImportSummary,
    QueueRow,
    RequestActions,
    RequestPackage,
    SettingRow,
    SigningSummary,
    SubjectFinding,
    SubjectRow,
)
from ..redaction.preview import PreviewField
from ..results import (
    BackupInfo,
    CaExport,
    DecisionExport,
    DecisionInfo,
    EvaluationDoc,
    OverrideEntry,
    VerifyReport,
)
from ..settings import Settings, SettingValue
from ..store import auditlog, opening, orders, queue
from ..store import db as db_sql
from ..store import users as users_sql
from . import crypto_status
from .context import CancelCheck, Ctx, Progress
from .session_letters import LettersMixin
from .session_log import LogMixin
from .session_users import UsersMixin
from .users import check_passphrase, check_user_name

if TYPE_CHECKING:
    from .office_migrate import Migration
    from .office_migrate_orders import OrdersMigration
    from .office_migrate_overrides import OverridesMigration
    from .office_records import OfficeCtx

__all__ = ["CancelCheck", "Progress", "Session", "Workstation"]


class Workstation:
    """A store folder: create it, or unlock it as a user."""

    def __init__(self, path: Path, *, clock: Callable[[], float] | None = None) -> None:
        self.path = path
        self.clock: Callable[[], float] = clock or (lambda: clocks.current().timestamp())

    def exists(self) -> bool:
        return opening.is_store(self.path)

    def check_office_policy(self) -> None:
        """Raise the office policy's one message when it is unreadable or says crypto = fips on a machine
        without OpenSSL's FIPS provider active: what `dws gui` checks before a window opens."""
        crypto_status.office_policy()

    def init(self, admin: str, passphrase: str, *, bind_device: bool = True) -> tuple[Session, str, str | None]:
        check_user_name(admin)
        check_passphrase(passphrase)
        office = crypto_status.office_policy()       # a bad office policy file stops here, before anything is created
        store, code, notice = opening.create(self.path, admin, passphrase, fixed=office.values,
                                             crypto=office.crypto_mode, bind_device=bind_device)
        return Session(store), code, notice

    def unlock(self, user: str, passphrase: str) -> Session:
        office = crypto_status.office_policy()
        return Session(opening.unlock(self.path, user, passphrase, fixed=office.values, crypto=office.crypto_mode,
                                      clock=self.clock))

    def unlock_recovery(self, code: str) -> Session:
        office = crypto_status.office_policy()
        return Session(opening.unlock_recovery(self.path, code, fixed=office.values, crypto=office.crypto_mode,
                                               clock=self.clock))

    def crypto_report(self) -> CryptoReport:
        """`dws crypto report` (crypto_status.py): needs no passphrase and changes nothing."""
        return crypto_status.crypto_report(self.path)

    def lockout_seconds(self, user: str) -> int:
        from ..keys.lockout import Lockout

        return Lockout(self.path, clock=self.clock).seconds_left(user)


class Session(LogMixin, UsersMixin, LettersMixin):
    def __init__(self, store: opening.OpenStore) -> None:
        self._store = store
        info = users_sql.get(store.conn, store.user) if store.user else None
        self._ctx = Ctx(store, info.role if info else ("admin" if store.user is None else None))
        try:
            policy.note_in_store(store.conn, store.user)   # a changed office policy is logged, evaluations go stale
        except BaseException:
            store.close()
            raise
        self._head_at_open = auditlog.head(store.conn)[0]
        self._before_close: list[Callable[[], None]] = []

    # --- plumbing ------------------------------------------------------------------------------
    def close(self) -> None:
        """Run what was asked to happen before closing (the CLI's witness checkpoint), then close the store."""
        hooks, self._before_close = self._before_close, []
        try:
            for hook in hooks:
                hook()
        finally:
            card, self._ctx.card = self._ctx.card, None
            if card is not None:
                card.close()             # logged out: the card signs nothing more for this session
            self._store.close()

    def before_close(self, hook: Callable[[], None]) -> None:
        self._before_close.append(hook)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def conn(self) -> db_sql.Connection:
        return self._ctx.conn

    @property
    def user(self) -> str | None:
        return self._ctx.user

    @property
    def role(self) -> str | None:
        return self._ctx.role

    @role.setter
    def role(self, role: str | None) -> None:
        self._ctx.role = role

    @property
    def path(self) -> Path:
        return self._ctx.path

    def database_file(self) -> Path:
        return self._ctx.database_file()

    def data_key_for_workers(self) -> bytes:
        """The raw data key, handed only to this process's own evaluation workers (over a private pipe)."""
        return self._ctx.data_key_for_workers()

    def require(self, action: str) -> None:
        self._ctx.require(action)

    def log(self, event: str, obj: str | None = None, detail: dict[str, Any] | None = None) -> None:
        """Append an audit entry inside the current transaction."""
        self._ctx.log(event, obj, detail)

    # --- settings (see settings_view.py) ------------------------------------------------------------
    def settings(self) -> Settings:
        return self._ctx.settings()

    def setting(self, key: str) -> SettingValue:
        return self._ctx.setting(key)

    def setting_rows(self) -> tuple[SettingRow, ...]:
        from .settings_view import setting_rows

        return setting_rows(self._ctx)

    def setting_refusal(self, key: str) -> str | None:
        """Why this user may not change `key` (the checks `change_setting` makes before the value), or None."""
        from .settings_view import refusal

        return refusal(self._ctx, key)

    def change_setting(self, key: str, value: object) -> None:
        from .settings_view import change

        change(self._ctx, key, value)

    # --- the user's display preferences (preferences.py) -----------------------------------------
    def preference(self, key: str) -> Any:
        """The signed-in user's choice for `key` ('high_contrast'), or None when not chosen."""
        from .preferences import get

        return get(self._ctx, key)

    def set_preference(self, key: str, value: Any) -> bool:
        """Keep the signed-in user's choice (None forgets it); False for a recovery-code session (no user)."""
        from .preferences import put

        return put(self._ctx, key, value)

    # --- queue ---------------------------------------------------------------------------------
    def queue(self, status: str | None = None) -> list[QueueRow]:
        self.require("read-queue")
        return queue.rows(self.conn, status=status)

    # --- imports (see imports.py) ----------------------------------------------------------------
    def import_records(self, path: Path, progress: Progress | None = None,
                       cancelled: CancelCheck | None = None) -> ImportSummary:
        from .imports import import_records

        return import_records(self._ctx, path, progress, cancelled)

    def import_request(self, path: Path, progress: Progress | None = None,
                       cancelled: CancelCheck | None = None) -> ImportSummary:
        from .imports import import_request

        return import_request(self._ctx, path, progress, cancelled)

    def import_order(self, path: Path) -> ImportSummary:
        from .imports import import_order

        return import_order(self._ctx, path)

    def import_agency(self, path: Path) -> ImportSummary:
        from .imports import import_agency

        return import_agency(self._ctx, path)

    def court_orders(self) -> list[CourtOrder]:
        """The court-order register, oldest signed first."""
        self.require("read-queue")
        return orders.all_orders(self.conn)

    # --- evaluation and overrides (see evaluation.py, evaluation_report.py, overrides.py) ------------
    def evaluate(self, request_id: str, as_of: date | None = None, progress: Progress | None = None,
                 cancelled: CancelCheck | None = None) -> EvaluationDoc:
        """Every check, the plan and the recommendation (stored; reused while its inputs are unchanged)."""
        from .evaluation import evaluate

        return evaluate(self._ctx, request_id, as_of or clocks.today(), progress, cancelled)

    def evaluation_document(self, request_id: str, doc: EvaluationDoc, *, summary: bool) -> dict[str, Any]:
        """The `dws evaluate --json` document of an evaluation (with every subject's findings unless `summary`)."""
        from .evaluation_report import document

        return document(self._ctx, request_id, doc, summary=summary)

    def add_override(self, request_id: str, ref: str | None, item: str, action: str, reason: str,
                     as_of: date | None = None) -> int:
        from .overrides import add_override

        return add_override(self._ctx, request_id, ref, item, action, reason, as_of or clocks.today())

    def undo_override(self, request_id: str, override_id: int) -> None:
        from .overrides import undo_override

        undo_override(self._ctx, request_id, override_id)

    def overrides(self, request_id: str) -> list[OverrideEntry]:
        from .overrides import list_overrides

        return list_overrides(self._ctx, request_id)

    # --- decisions and verification (see decisions.py, certificates.py, verify.py) ------------------
    def decide(self, request_id: str, outcome: str, justification: str | None, passphrase: str,
               as_of: date | None = None) -> DecisionInfo:
        """Prepare the decision and sign it in one go (`dws decide`; nothing is shown in between)."""
        from .decisions import decide

        return decide(self._ctx, request_id, outcome, justification, passphrase, as_of or clocks.today())

    def prepare_decision(self, request_id: str, outcome: str, justification: str | None,
                         as_of: date | None = None) -> SigningSummary:
        """Every check `decide` makes and the decision document it would sign, with its hash: shown to the
        reviewer before the passphrase; nothing is stored."""
        from .decisions import prepare

        return prepare(self._ctx, request_id, outcome, justification, as_of or clocks.today())

    def sign_decision(self, draft: SigningSummary, passphrase: str) -> DecisionInfo:
        """Sign and store the document `prepare_decision` made, if the request is still as it was then."""
        from .decisions import sign

        return sign(self._ctx, draft, passphrase)

    def approve(self, request_id: str, passphrase: str, as_of: date | None = None,
                expected_hash: str | None = None) -> DecisionInfo:
        from .decisions import approve

        return approve(self._ctx, request_id, passphrase, as_of or clocks.today(), expected_hash)

    def approval_summary(self, request_id: str, as_of: date | None = None) -> SigningSummary:
        """What approving the request's decision would sign (refused as `approve` would refuse)."""
        from .decisions import approval_summary

        return approval_summary(self._ctx, request_id, as_of or clocks.today())

    def request_actions(self, request_id: str, as_of: date | None = None) -> RequestActions:
        """What this user may do with the request now (evaluate, decide, approve, issue or output its letter),
        with the reason for each thing they may not."""
        from .request_actions import actions

        return actions(self._ctx, request_id, as_of or clocks.today())

    def decision(self, request_id: str) -> DecisionInfo | None:
        from .decisions import current

        return current(self._ctx, request_id)

    def export_decision(self, request_id: str) -> DecisionExport:
        from .decisions import export

        return export(self._ctx, request_id)

    def export_ca(self, target: str) -> CaExport:
        """The office CA's certificate (PEM, serial, fingerprint) for recipients to trust once; logged."""
        from .certificates import export_ca

        return export_ca(self._ctx, target)

    def verify(self, against: Sequence[Path] = ()) -> VerifyReport:
        """The chain and every signature; with `against` (checkpoint files, letter PDFs, witness folders)
        also that the log still extends every checkpoint given (a VerifyReport with `witnesses`)."""
        self.require("read-log")
        from .verify import verify

        return verify(self._ctx, against)

    def backup(self, target: Path) -> BackupInfo:
        """(admin) An encrypted, verified backup of the whole store in one file (backup.py)."""
        from .backup import backup

        return backup(self._ctx, target)

    def migrate_to_office(self, office: OfficeCtx) -> Migration:
        """(admin here and in the office) Move this store into an office (office_migrate.py)."""
        from .office_migrate import migrate

        return migrate(self._ctx, office)

    def migrate_orders_to_office(self, office: OfficeCtx) -> OrdersMigration:
        """(counsel in the office; counsel or admin here) Move this migrated store's court orders and rule thresholds
        into the office (office_migrate_orders.py)."""
        from .office_migrate_orders import migrate_orders

        return migrate_orders(self._ctx, office)

    def migrate_overrides_to_office(self, office: OfficeCtx) -> OverridesMigration:
        """(a preparer in the office; a reviewer or admin here) Carry this migrated store's overrides into the office
        (office_migrate_overrides.py)."""
        from .office_migrate_overrides import migrate_overrides

        return migrate_overrides(self._ctx, office)

    # --- review (see review.py) -------------------------------------------------------------------
    def request(self, request_id: str) -> RequestPackage:
        from .review import request

        return request(self._ctx, request_id)[1]

    def subject_count(self, request_id: str, status: str | None = None) -> int:
        from .review import subject_count

        return subject_count(self._ctx, request_id, status)

    def subject_rows(self, request_id: str, offset: int, limit: int, status: str | None = None) -> list[SubjectRow]:
        from .review import subject_rows

        return subject_rows(self._ctx, request_id, offset, limit, status)

    def find_subjects(self, request_id: str, text: str) -> list[SubjectRow]:
        """Subjects by reference or by the words of their name (logged; at most 50)."""
        from .review import find_subjects

        return find_subjects(self._ctx, request_id, text)

    def subject_findings(self, request_id: str, seq: int) -> list[SubjectFinding]:
        from .review import subject_findings

        return subject_findings(self._ctx, request_id, seq)

    def preview(self, request_id: str, seq: int) -> list[PreviewField]:
        from .review import preview

        return preview(self._ctx, request_id, seq)

    def show_original(self, request_id: str, seq: int, reason: str) -> list[tuple[str, str]]:
        from .review import show_original

        return show_original(self._ctx, request_id, seq, reason)
