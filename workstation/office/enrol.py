"""Enrolling into an office (INTERCHANGE.md, `dws office enrol`): a desktop's TLS client certificate and the
folder it connects from, and a user's login role and keyslot (credential.py: the design).

A desktop's folder: `desktop.pem` (its certificate from the office CA), `desktop.key` (its private key, made
0600 as it is created), `office-ca.pem` (the CA the server's certificate must chain to) and `office.json` (its
profile). It is written whole or not at all, and never over an enrolled desktop's files.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from cryptography import x509

from ..canonical import canonical_json, utc_now
from ..crypto import DEFAULT_MODE, Mode
from ..errors import InputError, OfficeError, PermissionDenied, os_error
from ..keys import ca
from ..keys import primitives as p
from ..keys.pkcs11 import TokenRef
from ..store.auditlog import entry_hash
from ..store.office import checkpoint_keys, desktops, keyslots
from ..store.office import log as office_log
from ..store.office.roles import OFFICE_ROLES, OfficeRole
from . import credential, log_key, signing_key, tls
from .connect import Connection, explain
from .profile import FORMAT, OfficeProfile, load
from .sealing import OfficeKeys, SealError

DESKTOP_FILES = ("desktop.pem", "desktop.key", "office-ca.pem", "office.json")
LOGIN = re.compile(r"[a-z][a-z0-9_.-]{0,62}", re.ASCII)     # a PostgreSQL name: 63 bytes at most
BAD_LOGIN = ("a login name is a lower-case letter, then up to 62 letters, digits, _, . or - (and not one of the "
             "office's own role names)")
CA_TABLE = "office_ca"          # the sealed CA key's associated data: (table, row 1)


def _create(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)      # the key is 0600 from its first byte
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


def write_desktop(out: Path, profile: OfficeProfile, ca_private: bytes, ca_certificate: bytes, desktop: str,
                  at: datetime) -> Path:
    """Issue `desktop`'s certificate from the office CA (DER key and certificate) into the folder `out`, with a
    profile for the same server as `profile`; the new profile's path. InputError when `out` already holds a
    desktop's files or the name cannot be a certificate's."""
    try:
        key_pem, cert_pem = tls.issue_desktop(ca_private, ca_certificate, desktop, at)
    except tls.CertificateError as exc:
        raise InputError(str(exc), source="--desktop") from None
    taken = [name for name in DESKTOP_FILES if (out / name).exists()]
    if taken:
        raise InputError(f"{out} already holds {taken[0]}: enrol into a new folder (an enrolled desktop's files "
                         "are never overwritten)", source="-o")
    doc = {"format": FORMAT, "office": profile.office, "host": profile.host, "port": profile.port,
           "dbname": profile.dbname, "ca": "office-ca.pem", "cert": "desktop.pem", "key": "desktop.key"}
    made: list[Path] = []
    try:
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
        for name, data, mode in (("desktop.key", key_pem, 0o600), ("desktop.pem", cert_pem, 0o644),
                                 ("office-ca.pem", ca.pem(ca_certificate), 0o644),
                                 ("office.json", (json.dumps(doc, indent=1) + "\n").encode(), 0o644)):
            _create(out / name, data, mode)
            made.append(out / name)
    except OSError as exc:
        for path in made:
            with contextlib.suppress(OSError):
                path.unlink()
        raise os_error(exc, str(out), "no desktop was enrolled") from None
    return load(out / "office.json").path


def log_event(conn: Connection, user: str, event: str, obj: str | None, detail: dict[str, Any]) -> int:
    """Append an entry to the office log in the caller's transaction (the change and its entry land together):
    ids, names and codes, never a secret. Its seq."""
    try:
        office_log.lock(conn)
        last_seq, last_hash = office_log.head(conn)
        seq, ts = last_seq + 1, utc_now()
        detail_json = canonical_json(detail).decode("utf-8")
        office_log.append(conn, seq, ts, user, event, obj, detail_json, last_hash,
                          entry_hash(last_hash, seq, ts, user, event, obj, detail_json))
    except psycopg.OperationalError:
        raise
    except psycopg.Error as exc:
        state = f" (SQLSTATE {exc.sqlstate})" if exc.sqlstate else ""
        raise OfficeError(f"the office log refused the entry for this {event}{state}: nothing was enrolled; ask "
                          "the office administrator to check the office's grants") from None
    return seq


def refuse_taken_desktop(conn: Connection, desktop: str) -> None:
    """InputError when the office log records a desktop enrolled under this name already (revoked or not)."""
    for seq, _ts, obj, _detail in desktops.events(conn, desktops.ENROLLED):
        if obj == desktop:
            raise InputError(f"the office has a desktop named {desktop!r} already (office log entry {seq}); a name is "
                             "one desktop, so that revoking it revokes no other: enrol this one under a new name; "
                             "nothing was changed", source="--desktop")


def store_ca(conn: Connection, keys: OfficeKeys, ca_private: bytes, ca_certificate: bytes) -> None:
    """Keep the office CA on the server, its private key sealed under the office key (at `office init`)."""
    keyslots.put_ca(conn, ca_certificate, keys.seal(CA_TABLE, 1, ca_private))


def office_ca(conn: Connection, keys: OfficeKeys) -> tuple[bytes, bytes]:
    """(private key DER, certificate DER) of the office CA, as an admin."""
    try:
        found = keyslots.read_ca(conn)
    except psycopg.errors.InsufficientPrivilege:
        raise PermissionDenied("only an office admin may enrol a desktop") from None
    if found is None:
        raise OfficeError("the office has no CA yet: create the office with dws office init")
    certificate, sealed = found
    try:
        return keys.open(CA_TABLE, 1, sealed), certificate
    except SealError:
        raise OfficeError("the office CA's key does not open with this office key: it was altered on the server, "
                          "or belongs to another office") from None


def enrol_user(conn: Connection, profile: OfficeProfile, office_key: bytes, login: str, role: str,
               passphrase: str, mode: Mode = DEFAULT_MODE, *, by: str | None = None,
               card: tuple[bytes, TokenRef] | None = None, card_checkpoint: bytes | None = None) -> None:
    """Create `login`'s database login role in `role`'s group, with the SCRAM verifier of the password its new
    keyslot gives, and store that keyslot (one transaction). As an office admin, who is `by` (the office log
    records it), or a superuser at init (`by` None: `office init` logs the office's making itself). With `card`
    (the public key read from the card, and where it is) that key is registered as the user's signing key, and no
    private key is made (schema step 9); with `card_checkpoint` (the Ed25519 public key read from the same card) that
    key is registered as their checkpoint key, announced as a wrapped one is, with no private key (schema step 10)."""
    if role not in OFFICE_ROLES:
        raise InputError(f"no office role {role!r} (one of {', '.join(OFFICE_ROLES)})", source="--role")
    if not passphrase:
        raise InputError("a user's passphrase may not be empty")
    if not LOGIN.fullmatch(login) or login.startswith("pg_"):
        raise InputError(BAD_LOGIN, source="--user")
    office_role: OfficeRole = role          # one of OFFICE_ROLES: checked above
    slot, opened = credential.new_slot(login, passphrase, office_key, credential.slot_kdf(mode))
    try:
        with conn.transaction():
            if keyslots.user_exists(conn, login):
                raise InputError(f"the office server already has a database role named {login!r}; choose another "
                                 "name", source="--user")
            verifier = keyslots.scram_verifier(conn, login, opened.password)
            keyslots.enrol(conn, login, office_role, verifier, slot.kdf_json(), slot.salt, slot.nonce,
                           slot.wrapped)
            detail: dict[str, Any] = {"role": office_role}
            if card is None:
                signing_key.store_new(conn, login, opened.user_secret)      # i19d: the key they sign with
            else:
                public, ref = card
                signing_key.store_card(conn, login, public, ref)
                detail |= {"key": "pkcs11", "fingerprint": p.fingerprint(public), "module": ref.module,
                           "token_label": ref.token_label, "key_label": ref.key_label}
            office_public = log_key.public_of(log_key.checkpoint_key(office_key))
            if card_checkpoint is not None:                             # step 10: the checkpoint key on the card
                _refuse_card_checkpoint_key(conn, card_checkpoint)
                announced = log_key.store_card_user_key(conn, login, card_checkpoint, office_public)
                log_event(conn, by or login, office_log.CHECKPOINT_KEY_EVENT, login, announced)
            elif checkpoint_keys.exists(conn):                          # step 8: the key they sign checkpoints with
                _private, announced = log_key.store_user_key(conn, login, opened.user_secret, office_public)
                log_event(conn, by or login, office_log.CHECKPOINT_KEY_EVENT, login, announced)
            if by is not None:
                log_event(conn, by, "office-user-enrolled", login, detail)
    except psycopg.errors.DuplicateObject:          # made between the check and the enrolment
        raise InputError(f"the office server already has a database role named {login!r}; choose another name",
                         source="--user") from None
    except psycopg.errors.InsufficientPrivilege:
        raise PermissionDenied("only an office admin may enrol a user") from None
    except psycopg.errors.InvalidName:
        raise InputError(BAD_LOGIN, source="--user") from None
    except psycopg.OperationalError as exc:
        raise explain(exc, profile, login) from None


def _refuse_card_checkpoint_key(conn: Connection, public: bytes) -> None:
    """InputError when the office cannot keep a checkpoint key on a card (before schema step 10) or the key is
    someone's already."""
    if not checkpoint_keys.exists(conn) or not checkpoint_keys.has_cards(conn):
        raise InputError("this office was made before checkpoint keys on smart cards; the server's administrator "
                         "brings it up to date with 'dws --user DBADMIN office init --profile FILE' (schema step 10); "
                         "nothing was enrolled", source="--checkpoint-key-label")
    holder = checkpoint_keys.holder(conn, public)
    if holder is not None:
        raise InputError(f"that checkpoint key is already enrolled for user {holder!r}; one key signs for one "
                         "person; nothing was enrolled", source="--checkpoint-key-label")


def certificate_detail(path: Path) -> dict[str, Any]:
    """What the office log says of a desktop's certificate: its serial and validity (nothing secret)."""
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    not_before, not_after = ca.validity(cert)
    return {"serial": format(cert.serial_number, "x"), "not_before": not_before.isoformat(),
            "not_after": not_after.isoformat()}


def remove_desktop(out: Path) -> None:
    """Take back what write_desktop wrote (its four files; the folder too when that leaves it empty)."""
    for name in DESKTOP_FILES:
        with contextlib.suppress(OSError):
            (out / name).unlink()
    with contextlib.suppress(OSError):
        out.rmdir()
