"""A user's office keyslot and database credential: one passphrase opens both (issue 19 item 3: "the user's
database credential comes from the same unlock, no second secret").

The design
----------
Each user has a keyslot on the office server (store/office/keyslots.py). It wraps, with AES-256-GCM under a key
derived from the user's passphrase (the local store's passphrase KDFs: PBKDF2-HMAC-SHA-512, or Argon2id under
`crypto = standard`; then HKDF-SHA-256 with the label below), 64 bytes: a random **user secret** (32 bytes, made
when the user is enrolled) and the **office key** (32 bytes). The associated data names the slot's login role,
so a slot copied onto another user's row does not open.

The user's database password (for their SCRAM-SHA-256 login role) is HKDF-SHA-256 of the user secret, with its
own label and the login name as info, spelt in base64url. The server keeps only the SCRAM verifier, computed on
the desktop (libpq's PQencryptPasswordConn), so no statement or log on the server carries the password either.

Why a user secret and not the office key: every user of the office holds the office key, so a password
derived from it would let any preparer compute counsel's password and log in as counsel, and the server's
roles would enforce nothing against an insider. The user secret is in that user's keyslot only. Why not the
stretched passphrase itself: a passphrase change then re-wraps the slot and leaves the database password (and
the server's verifier) alone, and a keyslot opened some other way later (a PIV card) still gives the password.

Unlock (workstation/office/unlock.py) is therefore two connections: first as the office's keyslot reader, a
login role the server admits by this desktop's certificate alone (no password: `cert` in pg_hba.conf), which
can only call a function that returns one named user's slot; then, the slot opened on the desktop, as the user
with the derived password. A wrong passphrase fails the slot's AES-GCM tag on the desktop: no connection as
the user is tried, so the server never sees a usable (or any) password for it. Nothing but the passphrase is
asked for, and nothing is written to disk: the desktop folder holds its certificate, key, the CA and the
profile; the password exists in memory for the connection only.

No SQL here (store/office/keyslots.py) and no message holds a secret.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from ..crypto import Mode, uses_argon2
from ..keys import kdf
from ..keys import primitives as p

SECRET_BYTES = 32
OFFICE_KEY_BYTES = 32
PASSWORD_INFO = "dws.office/1 database password"
KEK_INFO = "dws.office/1 keyslot key"
AAD_LABEL = "dws.office/1 keyslot"


@dataclass(frozen=True)
class Slot:
    """A user's keyslot as the server keeps it (nothing secret: opening it needs the passphrase)."""

    login: str
    kdf: dict[str, Any]
    salt: bytes
    nonce: bytes
    wrapped: bytes

    def kdf_json(self) -> str:
        return json.dumps(self.kdf, sort_keys=True)


@dataclass(frozen=True)
class Opened:
    """What a keyslot holds, once opened. Its repr shows no secret."""

    login: str
    office_key: bytes = field(repr=False)
    user_secret: bytes = field(repr=False)

    @property
    def password(self) -> str:
        return database_password(self.login, self.user_secret)


def _aad(login: str) -> bytes:
    return f"{AAD_LABEL}|user:{login}".encode()


def _kek(stretched: bytes, login: str) -> bytes:
    return p.hkdf(stretched, salt=None, info=f"{KEK_INFO}|user:{login}".encode())


def user_key(user_secret: bytes, label: str, login: str) -> bytes:
    """32 bytes of `login`'s own for one use, named by `label`: HKDF-SHA-256(user secret, info `label|user:<login>`).
    The database password below, and the keys that wrap the user's signing key (signing_key.py) and checkpoint
    keys (log_key.py), each with its label: only the user's unlock gives them."""
    if len(user_secret) != SECRET_BYTES:
        raise ValueError("a user secret is 32 bytes")
    return p.hkdf(user_secret, salt=None, info=f"{label}|user:{login}".encode())


def database_password(login: str, user_secret: bytes) -> str:
    """The user's SCRAM password: HKDF-SHA-256(user secret, label and login), 32 bytes in base64url (43
    characters, no padding)."""
    raw = user_key(user_secret, PASSWORD_INFO, login)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def slot_kdf(mode: Mode) -> kdf.SlotKdf:
    """The passphrase KDF of a slot made now under the office's crypto mode (PBKDF2 calibrated here)."""
    return kdf.Argon2() if uses_argon2(mode) else kdf.Pbkdf2(kdf.calibrate())


def new_slot(login: str, passphrase: str, office_key: bytes, using: kdf.SlotKdf,
             user_secret: bytes | None = None) -> tuple[Slot, Opened]:
    """A keyslot for `login` holding a new user secret (or the given one: a passphrase change keeps it) and the
    office key, and what it holds."""
    if len(office_key) != OFFICE_KEY_BYTES:
        raise ValueError("an office key is 32 bytes")
    secret = user_secret if user_secret is not None else p.new_key()
    salt = p.new_salt()
    stretched = using.derive(passphrase.encode("utf-8"), salt)
    nonce, wrapped = p.wrap(secret + office_key, _kek(stretched, login), _aad(login))
    return Slot(login, using.as_dict(), salt, nonce, wrapped), Opened(login, office_key, secret)


def open_slot(slot: Slot, passphrase: str) -> Opened | None:
    """What the slot holds, or None for a wrong passphrase (or a slot altered or moved to another login)."""
    stretched = kdf.from_dict(slot.kdf).derive(passphrase.encode("utf-8"), slot.salt)
    opened = p.unwrap(slot.nonce, slot.wrapped, _kek(stretched, slot.login), _aad(slot.login))
    if opened is None or len(opened) != SECRET_BYTES + OFFICE_KEY_BYTES:
        return None
    return Opened(slot.login, opened[SECRET_BYTES:], opened[:SECRET_BYTES])


def decoy(passphrase: str, mode: Mode) -> None:
    """Spend a slot's time on an unknown user, so that a reply's delay does not tell who is enrolled."""
    using = kdf.Argon2() if uses_argon2(mode) else kdf.Pbkdf2(kdf.floor())
    using.derive(passphrase.encode("utf-8"), b"\0" * 16)


def slot_from_row(login: str, kdf_json: str, salt: bytes, nonce: bytes, wrapped: bytes) -> Slot:
    """A slot as the server returned it; ValueError when it is malformed (a damaged row)."""
    try:
        described = json.loads(kdf_json)
        kdf.from_dict(described)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ValueError("a damaged office keyslot") from None
    return Slot(login, described, bytes(salt), bytes(nonce), bytes(wrapped))


# --- the office's recovery keyslot: the office key under the recovery code alone -------------------------------
# The code is the local store's (keys/primitives.new_recovery_code: eight groups of five), normalized the same
# way before it is stretched; the slot holds the office key only (no user secret: it is no database login).

RECOVERY = "recovery"
_RECOVERY_AAD = f"{AAD_LABEL}|recovery".encode()        # no user's ("|user:<login>"), whatever the login


def _recovery_kek(stretched: bytes) -> bytes:
    return p.hkdf(stretched, salt=None, info=f"{KEK_INFO}|recovery".encode())


def recovery_slot(code: str, office_key: bytes, using: kdf.SlotKdf) -> Slot:
    """The office key wrapped under `code` (the login field of the slot says "recovery")."""
    return recovery_slot_and_proof(code, office_key, using)[0]


def recovery_slot_and_proof(code: str, office_key: bytes, using: kdf.SlotKdf) -> tuple[Slot, bytes]:
    """The recovery slot (recovery_slot) and the code's recovery proof (recovery_proof), from one stretch."""
    if len(office_key) != OFFICE_KEY_BYTES:
        raise ValueError("an office key is 32 bytes")
    salt = p.new_salt()
    stretched = using.derive(p.normalize_recovery_code(code).encode("ascii"), salt)
    nonce, wrapped = p.wrap(office_key, _recovery_kek(stretched), _RECOVERY_AAD)
    return Slot(RECOVERY, using.as_dict(), salt, nonce, wrapped), _proof(stretched)


def open_recovery(slot: Slot, code: str) -> bytes | None:
    """The office key the recovery slot holds, or None for a wrong code (or an altered slot)."""
    opened = open_recovery_with_proof(slot, code)
    return opened[0] if opened is not None else None


def open_recovery_with_proof(slot: Slot, code: str) -> tuple[bytes, bytes] | None:
    """(the office key, the code's recovery proof), or None for a wrong code (or an altered slot)."""
    stretched = kdf.from_dict(slot.kdf).derive(p.normalize_recovery_code(code).encode("ascii"), slot.salt)
    opened = p.unwrap(slot.nonce, slot.wrapped, _recovery_kek(stretched), _RECOVERY_AAD)
    if opened is None or len(opened) != OFFICE_KEY_BYTES:
        return None
    return opened, _proof(stretched)


# The recovery proof: what the server checks (its SHA-256 is kept in dws.office_recovery_proof) before it lets a
# desktop give a user a new keyslot and database password with the recovery code alone (office/recovery.py).
# HKDF of the stretched code under its own label: it shows the code was known, and opens nothing (the office key
# is wrapped under another label's key), so the server that sees it at a recovery learns no key.
_PROOF_INFO = f"{KEK_INFO}|recovery proof".encode()


def _proof(stretched: bytes) -> bytes:
    return p.hkdf(stretched, salt=None, info=_PROOF_INFO)
