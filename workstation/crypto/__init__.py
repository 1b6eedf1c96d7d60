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

from typing import Literal

Mode = Literal["approved", "fips", "standard"]
APPROVED: Mode = "approved"
FIPS: Mode = "fips"
STANDARD: Mode = "standard"
MODES: tuple[Mode, ...] = (APPROVED, FIPS, STANDARD)
DEFAULT_MODE: Mode = APPROVED


def uses_argon2(mode: Mode) -> bool:
    """Whether this mode makes keyslots with Argon2id (else PBKDF2-HMAC-SHA-512)."""
    return mode == STANDARD
