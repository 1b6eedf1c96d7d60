"""The office log's checkpoint key: an Ed25519 key derived from the office key, so every desktop that unlocks the
office signs and checks the office log's checkpoints (issue 12's witness, for the office) with the same key.

Why the office key and not a user's own key: an office user has, so far, no signing key of their own in the
office (their keyslot holds the office key and their database password, nothing else), and a checkpoint's point
here is to catch the server: its superuser, who holds no keyslot and so no office key, cannot sign a checkpoint
over a log they rewrote, and one a witness kept catches them. What this key does not give is attribution among
office users: any enrolled user could sign. A per-user checkpoint key (announced in the log, as the local store
does) is left for when office users get signing keys.

The origin's id is derived from the public key, so a checkpoint names the office whose key signed it.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .. import checkpoint as cp
from ..crypto.digest import sha256
from ..keys import primitives as p

CHECKPOINT_KEY_INFO = b"dws.office/1 checkpoint key: Ed25519"
KEY_NAME_USER = "office"          # the signed note's key name is office@<office log id>


def checkpoint_key(office_key: bytes) -> bytes:
    """The 32-byte Ed25519 private key (seed) of the office log's checkpoints."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=CHECKPOINT_KEY_INFO).derive(office_key)


def log_id(public: bytes) -> str:
    """The office log's id in checkpoint origins (32 hex digits, the local store's id's form)."""
    return sha256(b"dws.office/1 log id\x00" + public)[:16].hex()


def key_name(public: bytes) -> str:
    return cp.key_name(KEY_NAME_USER, log_id(public))


def public_of(private: bytes) -> bytes:
    return p.public_from_private(private)
