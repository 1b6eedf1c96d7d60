"""Workstation (store folder level) and Session (one unlocked store, one user)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import clock as clocks
from .. import policy
from ..errors import InputError
from ..model import CourtOrder, QueueRow, RequestPackage, SettingRow, SubjectFinding, SubjectRow
from ..settings import COUNSEL_SETTINGS, DEFAULTS, coerce, pair_refusal
from ..store import auditlog, db, opening, orders, queue
from ..store import evaluation as evaluation_sql
from ..store import settings as settings_sql
from ..store import users as users_sql
from . import roles
from .session_log import LogMixin
from .session_users import MIN_PASSPHRASE, USER_NAME, UsersMixin, check_passphrase, check_user_name

if TYPE_CHECKING:
    from ..keys.pkcs11 import Card

Progress = Callable[[int, int | None], None]   # (done, total or None)
CancelCheck = Callable[[], bool]
__all__ = ["MIN_PASSPHRASE", "USER_NAME", "Session", "Workstation", "check_passphrase", "check_user_name"]


class Workstation:
    """A store folder: create it, or unlock it as a user."""

    def __init__(self, path: Path, *, clock: Callable[[], float] | None = None) -> None:
        self.path = path
        self.clock: Callable[[], float] = clock or (lambda: clocks.current().timestamp())

    def exists(self) -> bool:
        return opening.is_store(self.path)

    def init(self, admin: str, passphrase: str, *, bind_device: bool = True) -> tuple[Session, str, str | None]:
        check_user_name(admin)
        check_passphrase(passphrase)
        policy.current()                # a bad office policy file stops here, before anything is created
        store, code, notice = opening.create(self.path, admin, passphrase, bind_device=bind_device)
        return Session(store), code, notice

    def unlock(self, user: str, passphrase: str) -> Session:
        return Session(opening.unlock(self.path, user, passphrase, clock=self.clock))

    def unlock_recovery(self, code: str) -> Session:
        return Session(opening.unlock_recovery(self.path, code, clock=self.clock))

    def lockout_seconds(self, user: str) -> int:
        from ..keys.lockout import Lockout

        return Lockout(self.path, clock=self.clock).seconds_left(user)


class Session(LogMixin, UsersMixin):
    def __init__(self, store: opening.OpenStore) -> None:
        self._store = store
        self.conn = store.conn
        self.user = store.user
        info = users_sql.get(self.conn, store.user) if store.user else None
        self.role: str | None = info.role if info else ("admin" if store.user is None else None)
        try:
            policy.note_in_store(self.conn, self.user)   # a changed office policy is logged, evaluations go stale
        except BaseException:
            store.close()
            raise
        self._head_at_open = auditlog.head(self.conn)[0]
        self._before_close: list[Callable[[], None]] = []
        self._card: Card | None = None       # the user's PKCS#11 card while open for checkpoints (tokens.py)

    # --- plumbing ------------------------------------------------------------------------------
    def close(self) -> None:
        """Run what was asked to happen before closing (the CLI's witness checkpoint), then close the store."""
        hooks, self._before_close = self._before_close, []
        try:
            for hook in hooks:
                hook()
        finally:
            card, self._card = self._card, None
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
    def path(self) -> Path:
        return self._store.path

    def database_file(self) -> Path:
        return self.path / "store.db"

    def data_key_for_workers(self) -> bytes:
        """The raw data key, handed only to this process's own evaluation workers (over a private pipe)."""
        return self._store.data_key

    def require(self, action: str) -> None:
        roles.require(self.role, action)

    def log(self, event: str, obj: str | None = None, detail: dict[str, Any] | None = None) -> None:
        """Append an audit entry inside the current transaction."""
        auditlog.append(self.conn, event, user=self.user, obj=obj, detail=detail)

    # --- settings ------------------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        return settings_sql.all_settings(self.conn)

    def setting(self, key: str) -> Any:
        return settings_sql.get(self.conn, key)

    def setting_rows(self) -> tuple[SettingRow, ...]:
        from .settings_view import setting_rows

        return setting_rows(self)

    def setting_refusal(self, key: str) -> str | None:
        """Why this user may not change `key` (the checks `change_setting` makes before the value), or None."""
        try:
            self.require("change-settings")
        except roles.PermissionDenied as exc:
            return str(exc)
        if key not in DEFAULTS:
            return f"unknown setting {key!r}"
        fixed = policy.current()
        if fixed.fixes(key):
            return f"set by the office policy in {fixed.path}; only an administrator of this computer can change it"
        if key in COUNSEL_SETTINGS and self.role != "counsel":
            return f"only counsel may change the rule threshold {key!r}"
        return None

    def change_setting(self, key: str, value: Any) -> None:
        self.require("change-settings")
        fixed = policy.current()
        if fixed.fixes(key):
            raise roles.PermissionDenied(f"setting {key!r} is set by the office policy in {fixed.path}; "
                                         "only an administrator of this computer can change it there")
        if key in COUNSEL_SETTINGS and self.role != "counsel":
            raise roles.PermissionDenied(f"only counsel may change the rule threshold {key!r}")
        try:
            value = coerce(key, value)
        except KeyError:
            raise InputError(f"unknown setting {key!r}") from None
        except ValueError as exc:
            raise InputError(f"setting {key!r}: {exc}") from None
        refused = pair_refusal(key, value, self.settings())
        if refused:
            raise InputError(f"setting {key!r}: {refused}")
        old = settings_sql.get(self.conn, key)
        with db.transaction(self.conn):
            settings_sql.put(self.conn, key, value, self.user)
            evaluation_sql.bump_data_version(self.conn)
            self.log("setting-changed", key, {"from": old, "to": value})

    # --- queue ---------------------------------------------------------------------------------
    def queue(self, status: str | None = None) -> list[QueueRow]:
        self.require("read-queue")
        return queue.rows(self.conn, status=status)

    # --- imports (see imports.py) ----------------------------------------------------------------
    def import_records(self, path: Path, progress: Progress | None = None,
                       cancelled: CancelCheck | None = None) -> Any:
        from .imports import import_records

        return import_records(self, path, progress, cancelled)

    def import_request(self, path: Path, progress: Progress | None = None,
                       cancelled: CancelCheck | None = None) -> Any:
        from .imports import import_request

        return import_request(self, path, progress, cancelled)

    def import_order(self, path: Path) -> Any:
        from .imports import import_order

        return import_order(self, path)

    def court_orders(self) -> list[CourtOrder]:
        """The court-order register, oldest signed first."""
        self.require("read-queue")
        return orders.all_orders(self.conn)

    def evaluate(self, request_id: str, as_of: date | None = None, progress: Progress | None = None,
                 cancelled: CancelCheck | None = None) -> dict[str, Any]:
        """Every check, the plan and the recommendation (stored; reused while its inputs are unchanged)."""
        from .evaluation import evaluate

        return evaluate(self, request_id, as_of or clocks.today(), progress, cancelled)

    def add_override(self, request_id: str, ref: str | None, item: str, action: str, reason: str,
                     as_of: date | None = None) -> int:
        from .overrides import add_override

        return add_override(self, request_id, ref, item, action, reason, as_of or clocks.today())

    def undo_override(self, request_id: str, override_id: int) -> None:
        from .overrides import undo_override

        undo_override(self, request_id, override_id)

    def overrides(self, request_id: str) -> list[dict[str, Any]]:
        from .overrides import list_overrides

        return list_overrides(self, request_id)

    # --- decisions and verification (see decisions.py, verify.py) ---------------------------------
    def decide(self, request_id: str, outcome: str, justification: str | None, passphrase: str,
               as_of: date | None = None) -> Any:
        from .decisions import decide

        return decide(self, request_id, outcome, justification, passphrase, as_of or clocks.today())

    def approve(self, request_id: str, passphrase: str, as_of: date | None = None) -> Any:
        from .decisions import approve

        return approve(self, request_id, passphrase, as_of or clocks.today())

    def decision(self, request_id: str) -> Any:
        from .decisions import current

        return current(self, request_id)

    def export_decision(self, request_id: str) -> Any:
        from .decisions import export

        return export(self, request_id)

    def export_ca(self, target: str) -> Any:
        """The office CA's certificate (PEM, serial, fingerprint) for recipients to trust once; logged."""
        from .certificates import export_ca

        return export_ca(self, target)

    def verify(self, against: Sequence[Path] = ()) -> Any:
        """The chain and every signature; with `against` (checkpoint files, letter PDFs, witness folders)
        also that the log still extends every checkpoint given (a VerifyReport with `witnesses`)."""
        self.require("read-log")
        from .verify import verify

        return verify(self, against)

    # --- review (see review.py) -------------------------------------------------------------------
    def request(self, request_id: str) -> RequestPackage:
        from .review import request

        return request(self, request_id)[1]

    def subject_count(self, request_id: str, status: str | None = None) -> int:
        from .review import subject_count

        return subject_count(self, request_id, status)

    def subject_rows(self, request_id: str, offset: int, limit: int, status: str | None = None) -> list[SubjectRow]:
        from .review import subject_rows

        return subject_rows(self, request_id, offset, limit, status)

    def find_subjects(self, request_id: str, text: str) -> list[SubjectRow]:
        """Subjects by reference or by the words of their name (logged; at most 50)."""
        from .review import find_subjects

        return find_subjects(self, request_id, text)

    def subject_findings(self, request_id: str, seq: int) -> list[SubjectFinding]:
        from .review import subject_findings

        return subject_findings(self, request_id, seq)

    def preview(self, request_id: str, seq: int) -> list[Any]:
        from .review import preview

        return preview(self, request_id, seq)

    def show_original(self, request_id: str, seq: int, reason: str) -> list[tuple[str, str]]:
        from .review import show_original

        return show_original(self, request_id, seq, reason)

    def import_agency(self, path: Path) -> Any:
        from .imports import import_agency

        return import_agency(self, path)

    # --- letters and the accounting of disclosures (see letters.py, accounting.py) -----------------
    def issue_letter(self, request_id: str, secret: str) -> bytes:
        """The PDF letter for the request's final decision: generated, signed (PAdES, with the user's key:
        `secret` opens it, as for a decision) and stored the first time, with the accounting of disclosures;
        the stored bytes after that (no new signature)."""
        return self.letter(request_id, secret).pdf

    def letter(self, request_id: str, secret: str) -> Any:
        """Like issue_letter, with the letter's id, kind, pages, hash and whether it was made now."""
        from .letters import issue

        return issue(self, request_id, secret)

    def letter_bytes(self, request_id: str) -> bytes | None:
        """The letter already issued for the request's current decision, or None (never generates one)."""
        from .letters import stored

        letter = stored(self, request_id)
        return letter.pdf if letter else None

    def record_letter_output(self, request_id: str, action: str, target: str) -> None:
        """Log that the issued letter was written, printed, saved or viewed ('letter-printed', ...)."""
        from .letters import record_output

        record_output(self, request_id, action, target)

    def verify_letter(self, data: bytes, source: str = "letter") -> Any:
        from .letters import verify

        return verify(self, data, source)

    def accounting(self, year: int) -> Any:
        from .accounting import summary

        return summary(self, year)

    def export_accounting(self, year: int, path: Path) -> Any:
        from .accounting import export

        return export(self, year, path)
