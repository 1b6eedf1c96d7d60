"""The cryptography in force: `dws crypto report` (every primitive, every module and its FIPS status, the
self-tests, the store's keyslots) and the office policy's strict mode (`crypto = fips`), checked before a store
is created or opened."""

from __future__ import annotations

from pathlib import Path

from .. import policy
from ..crypto import FIPS, report, selftest, uses_argon2
from ..errors import StoreError
from ..keys import device, kdf
from ..keys.keyslots import Keyslots
from ..store import db, opening


def require_mode(p: policy.Policy) -> None:
    """Under `crypto = fips`, OpenSSL's FIPS provider must be active for `cryptography` and SQLCipher must report
    FIPS mode; else one message and nothing opens."""
    if p.crypto_mode != FIPS:
        return
    problems = []
    module = report.cryptography_module()
    if module.fips != "active":
        problems.append(f"OpenSSL's FIPS provider is not active in the cryptography library ({module.openssl}; "
                        f"providers {', '.join(module.providers)})")
    cipher = db.cipher_status()
    if cipher.fips_status != "1":
        problems.append(f"SQLCipher {cipher.version} ({cipher.provider_version or cipher.provider}) reports "
                        f"cipher_fips_status {cipher.fips_status or 'unknown'}")
    if problems:
        raise StoreError(f"the office policy in {p.path} says crypto = fips, but {'; and '.join(problems)}. "
                         "Nothing was opened or changed; 'dws crypto report' shows each module's state (README, "
                         "\"Security and compliance\")")


def office_policy() -> policy.Policy:
    """The office policy in force, its cryptography mode checked (`crypto = fips` needs the FIPS provider)."""
    office = policy.current()
    require_mode(office)
    return office


def _keyring_backend() -> str | None:
    try:
        return device.backend_name()
    except StoreError:
        return None


def crypto_report(store: Path | None) -> report.CryptoReport:
    """The report for this machine and office policy; with `store` (a store folder), its keyslots too (read from
    keyslots.json: no passphrase is needed, nothing is changed)."""
    current = policy.current()
    mode = current.crypto_mode
    tested = selftest.run(argon2=uses_argon2(mode))
    backend = _keyring_backend()
    cipher = db.cipher_status()
    modules = [report.cryptography_module(),
               report.sqlcipher_module(cipher.version, cipher.provider, cipher.provider_version, cipher.fips_status),
               report.os_random_module()]
    if backend is not None:
        modules.append(report.keyring_module(backend))
    slots: tuple[report.SlotRow, ...] = ()
    iterations = None
    where = None
    if store is not None and opening.is_store(store):
        found = Keyslots.load(store / opening.KEYSLOTS)
        where, iterations = str(store), found.pbkdf2_iterations
        rows = [(name, found.user_kdf(name)) for name in sorted(found.users)]
        rows.append(("recovery", found.recovery_kdf()))
        slots = tuple(report.SlotRow(name, k.describe(), not kdf.outdated(k, mode)) for name, k in rows
                      if k is not None)
    return report.CryptoReport(mode, str(current.path) if current.path else None,
                               report.primitives(mode, backend), tuple(modules), tested, where, iterations, slots)
