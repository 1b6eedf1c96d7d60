"""Thin wrappers over `cryptography`: Argon2id, HKDF, AES-GCM key wrapping, Ed25519."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


@dataclass(frozen=True, slots=True)
class KdfParams:
    """Argon2id cost, stored with each keyslot so it can be raised later without breaking old slots."""

    memory_kib: int = 64 * 1024
    iterations: int = 3
    lanes: int = 4

    def as_dict(self) -> dict[str, int]:
        return {"memory_kib": self.memory_kib, "iterations": self.iterations, "lanes": self.lanes}

    @classmethod
    def from_dict(cls, d: dict[str, int]) -> KdfParams:
        return cls(int(d["memory_kib"]), int(d["iterations"]), int(d["lanes"]))


def argon2id(secret: bytes, salt: bytes, params: KdfParams) -> bytes:
    kdf = Argon2id(salt=salt, length=32, iterations=params.iterations, lanes=params.lanes,
                   memory_cost=params.memory_kib)
    return kdf.derive(secret)


def hkdf(ikm: bytes, *, salt: bytes | None, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def new_key() -> bytes:
    return secrets.token_bytes(32)


def new_salt() -> bytes:
    return os.urandom(16)


def wrap(key: bytes, kek: bytes, aad: bytes) -> tuple[bytes, bytes]:
    nonce = os.urandom(12)
    return nonce, AESGCM(kek).encrypt(nonce, key, aad)


def unwrap(nonce: bytes, wrapped: bytes, kek: bytes, aad: bytes) -> bytes | None:
    """The wrapped key, or None when the KEK is wrong or anything was altered."""
    try:
        return AESGCM(kek).decrypt(nonce, wrapped, aad)
    except InvalidTag:
        return None


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


# --- Ed25519 ---------------------------------------------------------------------------------------

def new_signing_key() -> tuple[bytes, bytes]:
    """(private raw 32 bytes, public raw 32 bytes)."""
    sk = Ed25519PrivateKey.generate()
    raw = sk.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                           serialization.NoEncryption())
    return raw, public_from_private(raw)


def public_from_private(private_raw: bytes) -> bytes:
    pk = Ed25519PrivateKey.from_private_bytes(private_raw).public_key()
    return pk.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sign(private_raw: bytes, message: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(private_raw).sign(message)


def verify(public_raw: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def public_pem(public_raw: bytes) -> bytes:
    return Ed25519PublicKey.from_public_bytes(public_raw).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(public_raw: bytes) -> str:
    """SHA-256 of the raw public key, first 16 bytes, as 8 groups of 4 hex digits."""
    h = hashlib.sha256(public_raw).hexdigest()[:32]
    return ":".join(h[i:i + 4] for i in range(0, 32, 4))


# --- recovery codes ----------------------------------------------------------------------------------

_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no I, L, O, U, 0, 1: unambiguous when read aloud


def new_recovery_code() -> str:
    """Eight groups of five characters (about 196 bits), to be printed once and locked away."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(40))
    return "-".join(chars[i:i + 5] for i in range(0, 40, 5))


def normalize_recovery_code(text: str) -> str:
    cleaned = "".join(c for c in text.upper() if c.isalnum())
    return "-".join(cleaned[i:i + 5] for i in range(0, len(cleaned), 5))
