"""The product's cryptography, in one place: every digest (digest.py: SHA-256 through `cryptography`), where random
bytes come from (rng.py), the known-answer self-tests run before a store opens (selftest.py), and what `dws crypto
report` says about each primitive and the module that performs it (report.py; openssl_probe.py asks SQLCipher's
OpenSSL directly). Keys, wrapping and signatures are in workstation/keys/ (primitives.py, kdf.py).

The office policy's `crypto` key picks the mode (workstation/policy.py):
- ``approved`` (the default): only approved algorithms (NIST SP 800-132 PBKDF2 for keyslots, AES-256-GCM,
  HKDF, SHA-2, ECDSA P-256; Ed25519 only where a format fixes it: C2SP signed notes);
- ``fips``: the same, and the workstation refuses to start unless OpenSSL's FIPS provider is active;
- ``standard``: keyslots derive their keys with Argon2id instead of PBKDF2 (offices outside FIPS scope).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

Mode = Literal["approved", "fips", "standard"]
APPROVED: Mode = "approved"
FIPS: Mode = "fips"
STANDARD: Mode = "standard"
MODES: tuple[Mode, ...] = (APPROVED, FIPS, STANDARD)
DEFAULT_MODE: Mode = APPROVED


def uses_argon2(mode: Mode) -> bool:
    """Whether this mode makes keyslots with Argon2id (else PBKDF2-HMAC-SHA-512)."""
    return mode == STANDARD


def argon2id(*, salt: bytes, length: int, iterations: int, lanes: int, memory_cost: int,
             ad: bytes | None = None, secret: bytes | None = None) -> Argon2id:
    """`cryptography`'s Argon2id (44 and later). A build without it (a platform's own older release, e.g. Debian
    12's 38 that `make fips-check` uses) raises UnsupportedAlgorithm here, as OpenSSL's FIPS provider does: the
    callers say "Argon2id is not available" either way."""
    from cryptography.exceptions import UnsupportedAlgorithm
    try:
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
    except ImportError:
        raise UnsupportedAlgorithm("this cryptography release has no Argon2id") from None
    return Argon2id(salt=salt, length=length, iterations=iterations, lanes=lanes, memory_cost=memory_cost, ad=ad,
                    secret=secret)
