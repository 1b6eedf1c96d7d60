"""Thin wrappers over `cryptography`: HKDF-SHA-256, AES-256-GCM key wrapping, ECDSA P-256 and Ed25519 (the
passphrase KDFs of keyslots are in kdf.py; random bytes come from workstation/crypto/rng.py).

Signing keys come in two kinds, told apart by their bytes alone so that every stored key and signature stays
verifiable as it was made:
- Ed25519: a raw 32-byte private key and a raw 32-byte public key (checkpoint keys; users' signing keys made
  before letters carried PAdES signatures);
- ECDSA P-256 with SHA-256: a PKCS#8 DER private key and a DER SubjectPublicKeyInfo public key, signatures DER
  encoded (users' signing keys since then, in a keyslot or on a PKCS#11 token: what PDF readers verify).
"""

from __future__ import annotations

import base64

from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..crypto import digest, rng


def hkdf(ikm: bytes, *, salt: bytes | None, info: bytes) -> bytes:
    """HKDF-SHA-256 (RFC 5869; SP 800-56C rev. 2 two-step key derivation), 32 bytes."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def new_key() -> bytes:
    return rng.new_key()


def new_salt() -> bytes:
    return rng.new_salt()


def wrap(key: bytes, kek: bytes, aad: bytes) -> tuple[bytes, bytes]:
    """AES-256-GCM (SP 800-38D) under `kek`, a fresh 96-bit nonce: (nonce, ciphertext || tag)."""
    nonce = rng.new_nonce()
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


# --- signing keys: Ed25519 and ECDSA P-256 --------------------------------------------------------------

ED25519 = "Ed25519"
ECDSA_P256 = "ECDSA P-256"


def new_signing_key() -> tuple[bytes, bytes]:
    """An Ed25519 pair: (private raw 32 bytes, public raw 32 bytes). Checkpoint keys (C2SP signed notes)."""
    sk = Ed25519PrivateKey.generate()
    raw = sk.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                           serialization.NoEncryption())
    return raw, public_from_private(raw)


def new_ecdsa_key() -> tuple[bytes, bytes]:
    """An ECDSA P-256 pair: (private PKCS#8 DER, public SubjectPublicKeyInfo DER). Users' signing keys."""
    sk = ec.generate_private_key(ec.SECP256R1())
    der = sk.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption())
    return der, public_from_private(der)


def _ecdsa_private(der: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("not an ECDSA P-256 private key")
    return key


def ecdsa_public_key(public: bytes) -> ec.EllipticCurvePublicKey:
    key = serialization.load_der_public_key(public)
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("not an ECDSA P-256 public key")
    return key


def key_algorithm(public: bytes) -> str:
    """Which kind of key these public-key bytes are (a raw 32-byte key is Ed25519)."""
    return ED25519 if len(public) == 32 else ECDSA_P256


def public_from_private(private: bytes) -> bytes:
    if len(private) == 32:
        pk = Ed25519PrivateKey.from_private_bytes(private).public_key()
        return pk.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _ecdsa_private(private).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def sign(private: bytes, message: bytes) -> bytes:
    if len(private) == 32:
        return Ed25519PrivateKey.from_private_bytes(private).sign(message)
    return _ecdsa_private(private).sign(message, ec.ECDSA(hashes.SHA256()))


def verify(public: bytes, signature: bytes, message: bytes) -> bool:
    try:
        if len(public) == 32:
            Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
        else:
            ecdsa_public_key(public).verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def public_from_pem(pem: bytes) -> bytes:
    """The stored form of a PEM public key (raw for Ed25519, SubjectPublicKeyInfo DER for ECDSA P-256)."""
    key = serialization.load_pem_public_key(pem)
    if isinstance(key, Ed25519PublicKey):
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_pem(public: bytes) -> bytes:
    key = Ed25519PublicKey.from_public_bytes(public) if len(public) == 32 else ecdsa_public_key(public)
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(public_raw: bytes) -> str:
    """SHA-256 of the public key's bytes (raw for Ed25519, SubjectPublicKeyInfo DER for ECDSA P-256), first
    16 bytes, as 8 groups of 4 hex digits."""
    h = digest.sha256_hex(public_raw)[:32]
    return ":".join(h[i:i + 4] for i in range(0, 32, 4))


# --- recovery codes ----------------------------------------------------------------------------------

_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no I, L, O, U, 0, 1: unambiguous when read aloud


def new_recovery_code() -> str:
    """Eight groups of five characters (about 196 bits), to be printed once and locked away."""
    chars = "".join(rng.choice(_ALPHABET) for _ in range(40))
    return "-".join(chars[i:i + 5] for i in range(0, 40, 5))


def normalize_recovery_code(text: str) -> str:
    cleaned = "".join(c for c in text.upper() if c.isalnum())
    return "-".join(cleaned[i:i + 5] for i in range(0, len(cleaned), 5))
