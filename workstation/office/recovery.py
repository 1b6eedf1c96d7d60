"""Recovering an office user with the office's recovery code (`dws office recover`): the local store's `dws
recover` for an office, where the user who forgot their passphrase may be any user, the only admin too.

The recovery keyslot (printed code at `office init`) holds the office key only, not the user's secret, so the
user's old keyslot cannot be re-wrapped: the user gets a new keyslot holding a NEW user secret and the office key
under the new passphrase, and their database login the SCRAM verifier of the password that new secret gives
(credential.py). The desktop does it all as the keyslot reader, admitted by its certificate alone (no user can
log in: that is why there is a recovery), and the server lets it only with the code's recovery proof, whose
SHA-256 it keeps (store/office/recovery.py): a desktop that merely holds the office key (every user's does)
cannot reset anyone's passphrase. A wrong code stops on the desktop (the recovery slot's AES-GCM tag) before
anything is sent; the change and its office log entry land in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from cryptography import x509

from ..canonical import canonical_json, utc_now
from ..crypto import DEFAULT_MODE, Mode
from ..errors import AuthError, InputError, OfficeError, StoreError
from ..store.auditlog import entry_hash
from ..store.office import keyslots
from ..store.office import log as office_log
from ..store.office import recovery as recovery_sql
from ..store.office.roles import roles_for
from . import credential
from .connect import DEFAULT_TIMEOUT, connect, explain
from .profile import OfficeProfile

OLDER_OFFICE = ("this office's database was made before offices could be recovered (it has no recovery proof); "
                "nothing was changed. The server's administrator adds it with this version's 'dws --user DBADMIN "
                "office init --profile FILE' and the recovery code (schema step 3)")
WRONG_CODE = "the recovery code does not open this office's recovery keyslot; nothing was changed"
RETRIES = 5         # another desktop's log entry between the head read and the recovery: read it again


@dataclass(frozen=True)
class Recovered:
    login: str
    log_seq: int
    by: str                 # the keyslot reader's login, the log entry's user


def recover_user(profile: OfficeProfile, code: str, login: str, new_passphrase: str, *, mode: Mode = DEFAULT_MODE,
                 timeout: int = DEFAULT_TIMEOUT) -> Recovered:
    """Give `login` a new keyslot under `new_passphrase` and a new database password, with the recovery code;
    AuthError for a wrong code, InputError for an unknown user, nothing changed either way."""
    if not new_passphrase:
        raise InputError("the new passphrase may not be empty; nothing was changed")
    desk = keyslots.desk_role(roles_for(profile.dbname))
    with connect(profile, desk, None, timeout=timeout) as conn:
        try:
            return _recover(conn, profile, desk, code, login, new_passphrase, mode)
        except psycopg.errors.UndefinedFunction:
            raise StoreError(OLDER_OFFICE) from None
        except psycopg.errors.InsufficientPrivilege:
            raise AuthError("the office server refused the recovery: it is not this office's recovery code, or "
                            "the office was made without a recovery proof; nothing was changed") from None
        except psycopg.errors.NoDataFound:
            raise InputError(f"the office has no user {login!r}; nothing was changed", source="--user") from None
        except psycopg.OperationalError as exc:
            raise _lost(exc, profile, desk) from None


def _lost(exc: psycopg.OperationalError, profile: OfficeProfile, desk: str) -> OfficeError:
    if isinstance(exc, psycopg.errors.AdminShutdown) or "closed" in str(exc).lower():
        return OfficeError("office server unreachable: the connection ended during the recovery; nothing was "
                           "changed (the change and its log entry are one transaction): try again when the server "
                           "is back", reason="unreachable")
    return explain(exc, profile, desk)


def open_recovery_slot(conn: psycopg.Connection[Any], code: str, wrong: str) -> tuple[bytes, bytes]:
    """The office's recovery keyslot opened with the recovery code: (the office key, the code's proof); StoreError
    when the office has none or it is damaged, AuthError(`wrong`) when the code does not open it."""
    row = recovery_sql.read_recovery_slot(conn)
    if row is None:
        raise StoreError("this office has no recovery keyslot; nothing was changed")
    try:
        slot = credential.slot_from_row(credential.RECOVERY, *row)
    except ValueError:
        raise StoreError("the office's recovery keyslot is damaged; nothing was changed") from None
    opened = credential.open_recovery_with_proof(slot, code)
    if opened is None:
        raise AuthError(wrong)
    return opened


def _recover(conn: psycopg.Connection[tuple[object, ...]], profile: OfficeProfile, desk: str, code: str,
             login: str, new_passphrase: str, mode: Mode) -> Recovered:
    office_key, proof = open_recovery_slot(conn, code, WRONG_CODE)
    if keyslots.read_slot(conn, login) is None:
        raise InputError(f"the office has no user {login!r}; nothing was changed", source="--user")
    using = credential.slot_kdf(mode)
    new, fresh = credential.new_slot(login, new_passphrase, office_key, using)     # a new user secret
    verifier = keyslots.scram_verifier(conn, login, fresh.password)
    cert = x509.load_pem_x509_certificate(profile.cert.read_bytes())
    detail = canonical_json({"with": "recovery code", "desktop_certificate": format(cert.serial_number, "x"),
                             "keyslot_kdf": using.describe()}).decode("utf-8")
    for attempt in range(RETRIES):
        try:
            with conn.transaction():
                last_seq, last_hash = recovery_sql.log_head(conn) or (0, office_log.GENESIS)
                seq, ts = last_seq + 1, utc_now()
                entry = (seq, ts, detail, last_hash,
                         entry_hash(last_hash, seq, ts, desk, recovery_sql.EVENT, login, detail))
                recovery_sql.recover(conn, login, proof, verifier, (new.kdf_json(), new.salt, new.nonce, new.wrapped),
                                     entry)
            return Recovered(login, seq, desk)
        except psycopg.errors.IntegrityConstraintViolation:
            if attempt == RETRIES - 1:
                raise StoreError("the office log kept moving while the recovery was written; nothing was changed: "
                                 "try again") from None
    raise AssertionError("unreachable")
