"""Random bytes for every key, salt, nonce, identifier and recovery code the product makes: one source.

They come from `os.urandom`, the operating system's CSPRNG (Linux getrandom(2); on a kernel booted in FIPS
mode, its SP 800-90A DRBG), which is also what the `cryptography` library itself uses for the raw bytes it
makes (`AESGCM.generate_key`, which makes the product's 256-bit keys, and Fernet); `cryptography` offers no
call into OpenSSL's DRBG. Key pairs (ECDSA P-256, Ed25519) are generated inside OpenSSL by
`cryptography` (keys/primitives.py), from OpenSSL's own DRBG: with the FIPS provider active, its approved DRBG.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TypeVar

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

T = TypeVar("T")

KEY_BYTES = 32          # AES-256 keys, data keys, device secrets
SALT_BYTES = 16         # keyslot salts (SP 800-132: at least 128 bits)
NONCE_BYTES = 12        # AES-GCM nonces (SP 800-38D: 96 bits)


def random_bytes(n: int) -> bytes:
    return os.urandom(n)


def new_key() -> bytes:
    """A 256-bit key, by `cryptography`'s own key generation for AES (os.urandom inside it, as here)."""
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def new_salt() -> bytes:
    return random_bytes(SALT_BYTES)


def new_nonce() -> bytes:
    return random_bytes(NONCE_BYTES)


def token_hex(nbytes: int) -> str:
    """`nbytes` random bytes as hex: store ids, decision ids, temporary file names."""
    return random_bytes(nbytes).hex()


def below(n: int) -> int:
    """A uniform random integer in [0, n), by rejection sampling (no modulo bias)."""
    if n <= 0:
        raise ValueError("n must be positive")
    bits = (n - 1).bit_length()
    nbytes = max(1, (bits + 7) // 8)
    mask = (1 << bits) - 1
    while True:
        value = int.from_bytes(random_bytes(nbytes), "big") & mask
        if value < n:
            return value


def choice(seq: Sequence[T]) -> T:
    return seq[below(len(seq))]
