"""What `dws crypto report` says: every primitive the product uses (purpose, algorithm, standard, the module that
performs it) and every module (its version, the OpenSSL build it uses, the providers loaded where that can be
seen, its FIPS status). The service (service/crypto_status.py) adds SQLCipher's own status (store/db.py), the
self-test and the store's keyslots.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import Mode, openssl_probe, uses_argon2
from .selftest import SelfTestResult

CRYPTOGRAPHY = "cryptography"
SQLCIPHER = "SQLCipher"
OS_RANDOM = "os.urandom"
KEYRING = "OS keyring"


@dataclass(frozen=True, slots=True)
class Primitive:
    purpose: str
    algorithm: str
    standard: str
    module: str                 # a Module's name
    approved: bool              # an approved algorithm (FIPS 140-3 / SP 800-140C) for this purpose
    note: str = ""


@dataclass(frozen=True, slots=True)
class Module:
    name: str
    version: str
    openssl: str                # the OpenSSL build it uses ("" when none)
    providers: tuple[str, ...]  # OpenSSL providers loaded, where that can be seen (else empty)
    fips: str                   # "active", "not active" or "unknown"
    note: str = ""


@dataclass(frozen=True, slots=True)
class SlotRow:
    slot: str                   # a user's name, or "recovery"
    kdf: str                    # e.g. "PBKDF2-HMAC-SHA-512, 600,000 iterations"
    current: bool               # made as the mode asks (else re-wrapped at its next unlock)


@dataclass(frozen=True, slots=True)
class CryptoReport:
    mode: Mode
    policy_file: str | None
    primitives: tuple[Primitive, ...]
    modules: tuple[Module, ...]
    selftest: SelfTestResult
    store: str | None                           # the store folder whose keyslots are listed (None: no store)
    pbkdf2_iterations: int | None               # the store's calibrated count
    keyslots: tuple[SlotRow, ...]

    def all_approved(self) -> bool:
        return all(p.approved for p in self.primitives)


def primitives(mode: Mode, keyring_backend: str | None) -> tuple[Primitive, ...]:
    """The product's primitives under `mode`; the keyring row only where the machine has a keyring."""
    if uses_argon2(mode):
        kdf = Primitive("keyslots: a passphrase or the recovery code to a key-encryption key",
                        "Argon2id, 64 MiB, 3 passes, 4 lanes, 128-bit salt", "RFC 9106", CRYPTOGRAPHY, False,
                        "the office policy says crypto = standard")
    else:
        kdf = Primitive("keyslots: a passphrase or the recovery code to a key-encryption key",
                        "PBKDF2-HMAC-SHA-512, >= 600,000 iterations and >= 0.5 s, 128-bit salt",
                        "NIST SP 800-132", CRYPTOGRAPHY, True)
    rows = [
        kdf,
        Primitive("key-encryption keys (mixing in the device secret), the keys wrapping signing, checkpoint and "
                  "office CA keys", "HKDF-SHA-256 (HMAC-SHA-256)", "NIST SP 800-56C Rev. 2, RFC 5869",
                  CRYPTOGRAPHY, True),
        Primitive("wrapping the data key, users' signing and checkpoint keys, the office CA key",
                  "AES-256-GCM, 96-bit random nonce", "NIST SP 800-38D", CRYPTOGRAPHY, True),
        Primitive("the database, page by page (raw 256-bit data key, no per-open KDF)",
                  "AES-256-CBC with HMAC-SHA-512 per page (SQLCipher 4)", "FIPS 197, SP 800-38A, FIPS 198-1",
                  SQLCIPHER, True),
        Primitive("decisions, approvals, letters (PAdES, through pyHanko), office CA certificates",
                  "ECDSA P-256 with SHA-256", "FIPS 186-5, FIPS 180-4", CRYPTOGRAPHY, True),
        Primitive("audit-log checkpoints (C2SP signed notes, a format that fixes Ed25519); signing keys made "
                  "before issue 14 (verified only)", "Ed25519", "FIPS 186-5 (EdDSA), RFC 8032", CRYPTOGRAPHY,
                  True),
        Primitive("the audit chain, the log's Merkle tree, plan, findings, letter, file and key digests",
                  "SHA-256", "FIPS 180-4", CRYPTOGRAPHY, True, "crypto/digest.py; nothing of the product uses hashlib"),
        Primitive("key pairs (ECDSA P-256 signing keys and the office CA, Ed25519 checkpoint keys)",
                  "key generation in OpenSSL, from its DRBG", "FIPS 186-5, SP 800-90A", CRYPTOGRAPHY, True),
        Primitive("data keys, salts, nonces, device secrets, identifiers, recovery codes",
                  "the operating system's CSPRNG (getrandom)", "SP 800-90A/B (the kernel's DRBG)", OS_RANDOM, True,
                  "what cryptography itself uses for raw bytes (AESGCM.generate_key, which makes the keys); it "
                  "offers no call into OpenSSL's DRBG"),
    ]
    if keyring_backend is not None:
        secret_service = "SecretService" in keyring_backend
        rows.append(Primitive(
            "the device secret on its way to and from the OS keyring",
            "Secret Service session: 1024-bit Diffie-Hellman, AES-128-CBC (secretstorage, in Python)"
            if secret_service else f"the keyring's own ({keyring_backend})", "none", KEYRING, False,
            "defence in depth only: a keyslot's key-encryption key is HKDF(passphrase stretch, device secret), so "
            "the approved KDF protects the data key whatever becomes of the device secret"))
    return tuple(rows)


def cryptography_module() -> Module:
    """`cryptography` and the OpenSSL inside it. Its FIPS provider counts as active when every fetch asks for
    fips=yes (`is_fips_enabled`) and a SHA-256 can still be made: only the FIPS provider serves fips=yes."""
    import cryptography
    from cryptography.hazmat.backends.openssl import backend
    from cryptography.hazmat.primitives import hashes

    fips, legacy = _cryptography_openssl_state(backend)
    if fips:
        try:
            hashes.Hash(hashes.SHA256()).finalize()
        except Exception:                # fips=yes asked, but no provider answers it
            fips = False
    providers = ["fips (every fetch)"] if fips else []
    # cryptography loads these itself at import (its _initialize_providers), whatever OpenSSL's configuration
    # says; under fips=yes no algorithm is fetched from them.
    providers.append("default" + (" (loaded, unused)" if fips else ""))
    if legacy:
        providers.append("legacy" + (" (loaded, unused)" if fips else ""))
    version = backend.openssl_version_text()
    shared = [lib.path for lib in openssl_probe.loaded() if lib.version == version]
    where = f"the shared {shared[0]}" if shared else "OpenSSL linked into cryptography's extension (the wheel's own)"
    return Module(CRYPTOGRAPHY, cryptography.__version__, version, tuple(providers),
                  "active" if fips else "not active", where)


def _cryptography_openssl_state(backend: Any) -> tuple[bool, bool]:
    """(fips=yes asked for every fetch, the legacy provider loaded) from `cryptography`'s OpenSSL bindings: its Rust
    ones (40 and later), else the cffi ones of an older release (a platform's own build, e.g. Debian 12's 38,
    which loads the legacy provider unconditionally with OpenSSL 3)."""
    try:
        from cryptography.hazmat.bindings._rust import openssl as rust_openssl
    except ImportError:
        from cryptography.hazmat.bindings.openssl.binding import Binding
        legacy = getattr(Binding, "_legacy_provider", None)
        return bool(backend._is_fips_enabled()), legacy not in (None, Binding.ffi.NULL)
    return bool(rust_openssl.is_fips_enabled()), bool(getattr(rust_openssl, "_legacy_provider_loaded", False))


def sqlcipher_module(version: str, provider: str, provider_version: str, fips_status: str) -> Module:
    """SQLCipher (its PRAGMAs, store/db.py) and the libcrypto it runs on, asked directly where it can be."""
    lib, where = openssl_probe.of_sqlcipher()
    providers: tuple[str, ...] = ()
    if lib is not None:
        # Under fips=yes only the FIPS provider answers a fetch; others loaded into the same OpenSSL (cryptography
        # loads default and legacy itself, into the platform's libcrypto when both share it) serve nothing.
        unused = " (loaded, unused)" if lib.fips_active else ""
        providers = tuple(p if p in ("fips", "base") else p + unused for p in lib.providers)
    note = f"cipher_provider {provider}, cipher_fips_status {fips_status or 'unknown'}; {where}"
    if lib is not None:
        note += f"; fetches with fips=yes: {'yes' if lib.fips_properties else 'no'}"
    return Module(SQLCIPHER, version, provider_version, providers, "active" if fips_status == "1" else "not active",
                  note)


def os_random_module() -> Module:
    flag = Path("/proc/sys/crypto/fips_enabled")
    try:
        fips = "active" if flag.read_text().strip() == "1" else "not active"
    except OSError:
        fips = "unknown"
    return Module(OS_RANDOM, f"{platform.system()} {platform.release()}", "", (), fips,
                  "the kernel's FIPS mode (/proc/sys/crypto/fips_enabled)" if fips != "unknown" else "")


def keyring_module(backend: str) -> Module:
    return Module(KEYRING, backend, "", (), "not active" if "SecretService" in backend else "unknown",
                  "holds the per-store device secret")
