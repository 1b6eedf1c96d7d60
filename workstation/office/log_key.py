"""The office log's checkpoint keys (issue 12's witness, for the office): each office user's own Ed25519 key, and
the office's key, which signed every office checkpoint before users had their own and still checks those.

Each user's key (schema step 8, store/office/checkpoint_keys.py), as a local store's users have one: made at
enrolment (`dws office enrol --user`, `office init`'s first admin) or, for a user enrolled before, at their next
unlock; its private half wrapped on the desktop with AES-256-GCM under HKDF-SHA-256(user secret, USER_WRAP_INFO
|user:<login>), the secret their keyslot holds, the login in the associated data: only their own unlock opens it,
not the office key, which every user holds. Its public half is on the server for every role to read, and its
verifier key is announced in the office log (`checkpoint-key-enrolled`), as the local store announces its users'.
A user enrolled with a card may have their key on it instead (`dws office enrol --user NAME --pkcs11-module ...
--checkpoint-key-label C`, schema step 10): the office then holds its public key only (store_card_user_key), it is
announced the same way, and their checkpoints are signed on the card while it is open (service/office_card.py).
A checkpoint is signed by the user who made it, under the signed-note key name `<user>@<office log id>`, so it
says which office user vouched for the log: attribution among office users, which one office key could not give
(any enrolled user could have signed with it).

The office key (`office@<office log id>`, derived from the office key below) signed every checkpoint of an office
before step 8, and still signs for a session that holds no key of its own (an office not yet upgraded). It stays a
verifier: checkpoints that witnesses kept before must stay checkable. It still does what a checkpoint is for against
the server: its superuser, who holds no keyslot and so neither the office key nor a user's secret, cannot sign a
checkpoint over a log they rewrote, and one a witness kept catches them.

The office log's id (its checkpoints' origin) is derived from the office key's public key, as before, so a
checkpoint names the office whose log it is whoever signed it.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .. import checkpoint as cp
from ..crypto.digest import sha256
from ..keys import primitives as p
from ..store.office import checkpoint_keys
from . import credential

CHECKPOINT_KEY_INFO = b"dws.office/1 checkpoint key: Ed25519"
KEY_NAME_USER = "office"          # the office key's signed-note key name is office@<office log id>
USER_WRAP_INFO = "dws.office/1 user checkpoint key"


def checkpoint_key(office_key: bytes) -> bytes:
    """The 32-byte Ed25519 private key (seed) of the office key's checkpoints."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=CHECKPOINT_KEY_INFO).derive(office_key)


def log_id(public: bytes) -> str:
    """The office log's id in checkpoint origins (32 hex digits, the local store's id's form), from the office
    key's checkpoint public key."""
    return sha256(b"dws.office/1 log id\x00" + public)[:16].hex()


def key_name(public: bytes) -> str:
    """The office key's signed-note key name."""
    return cp.key_name(KEY_NAME_USER, log_id(public))


def user_key_name(login: str, office_public: bytes) -> str:
    """A user's signed-note key name, `<login>@<office log id>`."""
    return cp.key_name(login, log_id(office_public))


def public_of(private: bytes) -> bytes:
    return p.public_from_private(private)


# --- each user's own key ---------------------------------------------------------------------------------------

def _aad(login: str) -> bytes:
    return f"{USER_WRAP_INFO}|user:{login}".encode()


def store_user_key(conn: Any, login: str, user_secret: bytes, office_public: bytes) -> tuple[bytes, dict[str, Any]]:
    """Make `login`'s checkpoint key and store it (in the caller's transaction, on an office that has the table:
    checkpoint_keys.exists); (its private key, the detail of the log entry that announces it)."""
    private, public = p.new_signing_key()
    nonce, wrapped = p.wrap(private, credential.user_key(user_secret, USER_WRAP_INFO, login), _aad(login))
    checkpoint_keys.put(conn, login, public, nonce, wrapped)
    return private, _announced(login, public, office_public)


def _announced(login: str, public: bytes, office_public: bytes) -> dict[str, Any]:
    return {"fingerprint": p.fingerprint(public),
            "verifier_key": cp.verifier_key(user_key_name(login, office_public), public)}


def store_card_user_key(conn: Any, login: str, public: bytes, office_public: bytes) -> dict[str, Any]:
    """Register `login`'s checkpoint key on their card, its public key only (in the caller's transaction, on an
    office of schema step 10: checkpoint_keys.has_cards); the detail of the log entry that announces it, as for a
    wrapped key."""
    checkpoint_keys.put(conn, login, public, None, None)
    return _announced(login, public, office_public)


def card_user_key(conn: Any) -> bytes | None:
    """The public key of the connected user's checkpoint key when their newest one is on their card, else None."""
    keys = checkpoint_keys.mine(conn)
    if keys and keys[0][2] is None:
        return keys[0][0]
    return None


def open_user_key(conn: Any, login: str, user_secret: bytes) -> bytes | None:
    """The connected user's newest checkpoint key that opens with their unlock, or None (none yet, or none opens:
    after `office recover` their secret is new; a key on a card opens nothing here)."""
    for public, nonce, wrapped in checkpoint_keys.mine(conn):
        if nonce is None or wrapped is None:
            continue
        private = p.unwrap(nonce, wrapped, credential.user_key(user_secret, USER_WRAP_INFO, login), _aad(login))
        if private is not None and public_of(private) == public:
            return private
    return None
