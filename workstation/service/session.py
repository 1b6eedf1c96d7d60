"""Workstation (store folder level) and Session (one unlocked store, one user)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from .. import clock as clocks
from .. import policy
from ..errors import AuthError, InputError
from ..keys.primitives import fingerprint
from ..keys.signer import Signer, SoftwareSigner
from ..model import (
    USER_ROLES,
    CourtOrder,
    QueueRow,
    RequestPackage,
    SettingRow,
    SubjectFinding,
    SubjectRow,
    UserInfo,
)
from ..settings import COUNSEL_SETTINGS, DEFAULTS, coerce
from ..store import auditlog, certificates, db, opening, orders, queue
from ..store import evaluation as evaluation_sql
from ..store import settings as settings_sql
from ..store import users as users_sql
from . import roles
from .session_log import LogMixin

USER_NAME = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")
MIN_PASSPHRASE = 12

Progress = Callable[[int, int | None], None]   # (done, total or None)
CancelCheck = Callable[[], bool]


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise InputError(f"a passphrase needs at least {MIN_PASSPHRASE} characters")


def check_user_name(name: str) -> None:
    if not USER_NAME.match(name):
        raise InputError("a user name is 2-32 characters: lower-case letters, digits, '.', '_' or '-', "
                         "starting with a letter")


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


class Session(LogMixin):
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

    # --- plumbing ------------------------------------------------------------------------------
    def close(self) -> None:
        """Run what was asked to happen before closing (the CLI's witness checkpoint), then close the store."""
        hooks, self._before_close = self._before_close, []
        try:
            for hook in hooks:
                hook()
        finally:
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

    # --- users ---------------------------------------------------------------------------------
    def users(self) -> list[UserInfo]:
        return users_sql.all_users(self.conn)

    def add_user(self, name: str, role: str, passphrase: str) -> UserInfo:
        self.require("manage-users")
        check_user_name(name)
        if role not in USER_ROLES:
            raise InputError(f"unknown role {role!r}; one of: {', '.join(USER_ROLES)}")
        check_passphrase(passphrase)
        if users_sql.get(self.conn, name) is not None:
            raise InputError(f"user {name!r} already exists")
        slots = self._store.keyslots
        stretched = slots.set_user(name, passphrase, self._store.data_key, self._store.device_secret)
        with db.transaction(self.conn):
            public = users_sql.insert(self.conn, name, role, slots.signing_wrap_key(stretched, name),
                                      created_by=self.user)
            self.log("user-added", name, {"role": role, "fingerprint": fingerprint(public)})
            self._certify(name, public)
            opening.enrol_checkpoint_key(self.conn, slots, name, stretched, by=self.user)
            opening.stage_keyslots(self.conn, slots)
        opening.save_keyslots(self.path, slots)
        info = users_sql.get(self.conn, name)
        assert info is not None
        return info

    def reset_user(self, name: str, passphrase: str) -> UserInfo:
        """(admin) A new passphrase and a new signing key for a user who lost theirs, or whose keyslot no
        longer opens after the store was re-bound to a new machine."""
        self.require("manage-users")
        if users_sql.get(self.conn, name) is None:
            raise InputError(f"no user {name!r}")
        check_passphrase(passphrase)
        with db.transaction(self.conn):
            self._replace_key(name, passphrase)
        opening.save_keyslots(self.path, self._store.keyslots)
        info = users_sql.get(self.conn, name)
        assert info is not None
        return info

    def _replace_key(self, name: str, passphrase: str) -> None:
        """Inside a transaction: a new keyslot and signing key for `name`, logged, the keyslots staged."""
        slots = self._store.keyslots
        stretched = slots.set_user(name, passphrase, self._store.data_key, self._store.device_secret)
        public = users_sql.replace_key(self.conn, name, slots.signing_wrap_key(stretched, name))
        self.log("user-reset", name, {"fingerprint": fingerprint(public)})
        self._certify(name, public)
        key = opening.enrol_checkpoint_key(self.conn, slots, name, stretched, by=self.user)
        if name == self.user:
            self._store.checkpoint_key = key
        opening.stage_keyslots(self.conn, slots)

    def _certify(self, name: str, public: bytes) -> None:
        """Inside a transaction: the office CA's certificate for `name`'s new signing key, announced."""
        store = self._store
        certificates.issue(self.conn, store.data_key, store.keyslots.store_id, name, public, by=self.user)

    def rebind(self, admin: str, passphrase: str) -> tuple[UserInfo, list[str], str | None]:
        """After a recovery-code unlock: bind the store to this machine (a new device secret in its keyring,
        where it has one) and give `admin` a new passphrase. Every other user's keyslot is void and must be
        reset by an admin. Returns (admin info, users to reset, notice or None)."""
        if self.user is not None:
            raise AuthError("re-binding needs a recovery-code unlock")
        info = users_sql.get(self.conn, admin)
        if info is None or info.role != "admin":
            raise InputError(f"{admin!r} is not an admin of this store")
        check_passphrase(passphrase)
        notice = opening.rebind_device(self._store)
        others = sorted(u for u in self._store.keyslots.users if u != admin)
        for u in others:
            del self._store.keyslots.users[u]
        self.role = "admin"
        with db.transaction(self.conn):     # one change: the slots voided and the admin's new key together
            self.log("store-rebound", None, {"device_binding": self._store.keyslots.device_binding,
                                             "slots_voided": others})
            self._replace_key(admin, passphrase)
        opening.save_keyslots(self.path, self._store.keyslots)
        return info, others, notice

    def reauthenticate(self, passphrase: str) -> bytes:
        """Check the user's passphrase again (before signing, or to leave the lock screen). Failures count
        towards the lockout and are logged. Returns the stretched passphrase (for the signing key)."""
        if self.user is None:
            raise AuthError("a recovery-code session has no passphrase to check")
        from ..keys.lockout import Lockout

        lockout = Lockout(self.path)
        lockout.check(self.user)
        if not passphrase:           # an empty entry is not an attempt: nothing counted, nothing logged
            raise AuthError("enter your passphrase")
        slots = self._store.keyslots
        stretched = slots.stretch(self.user, passphrase)
        if stretched is None or slots.open_user(self.user, stretched, self._store.device_secret) is None:
            lockout.record_failure(self.user, "reauth-failed")
            raise AuthError("wrong passphrase")
        for ev in lockout.record_success(self.user):
            with db.transaction(self.conn):
                auditlog.append(self.conn, ev["event"], user=ev["user"])
        return stretched

    def signer(self, secret: str) -> Signer:
        """The user's signer, after asking the passphrase again (Electrum's @protected). Use it as a context
        manager: the unwrapped key is dropped when the block ends."""
        stretched = self.reauthenticate(secret)
        assert self.user is not None
        key = users_sql.signing_key(self.conn, self.user, self._store.keyslots.signing_wrap_key(stretched, self.user))
        if key is None:
            raise AuthError("your signing key cannot be unwrapped with this passphrase")
        return SoftwareSigner(key)

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
