"""Passphrase key derivation for keyslots: PBKDF2-HMAC-SHA-512 (NIST SP 800-132) by default, Argon2id (RFC 9106)
where the office policy says `crypto = standard`.

Each slot records its KDF and cost (`kdf` in keyslots.json), so a slot keeps opening whatever the default
becomes; an unlock re-wraps a slot made with another KDF than the mode asks for, or with fewer PBKDF2 iterations
than the floor (store/opening.py). Slots made before issue 23 name no algorithm: they are Argon2id.

PBKDF2's iteration count is calibrated when a store is made (`dws init`): one derivation takes at least
TARGET_SECONDS on that machine, and never fewer than MIN_ITERATIONS. The store keeps the count
(`pbkdf2_iterations` in keyslots.json) for the slots made after (users added or reset), and calibrates again on
a machine it is re-bound to (`dws recover`).

The test suite lowers the floor with DWS_TEST_PBKDF2_ITERATIONS (tests/conftest.py), so that an unlock there
costs milliseconds, not half a second. It is honoured only when this code runs from a source checkout that
holds the test suite; an installed program (the wheel or the bundle) refuses to create or open a store while
it is set. A slot made under it has fewer iterations than the floor: any unlock without it re-wraps the slot.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from ..crypto import Mode, argon2id, uses_argon2
from ..errors import StoreError

PBKDF2_NAME = "PBKDF2-HMAC-SHA-512"
ARGON2_NAME = "Argon2id"
ARGON2_UNAVAILABLE = (
    "this keyslot was made with Argon2id (by a release before PBKDF2 keyslots, or under the office policy's crypto = "
    "standard), and this installation's OpenSSL offers no Argon2id (OpenSSL's FIPS provider has none). Nothing was "
    "opened or changed. Unlock once with an OpenSSL whose default provider is available (not FIPS-only): the slot "
    "is then re-wrapped with PBKDF2-HMAC-SHA-512, which opens here")
MIN_ITERATIONS = 600_000
TARGET_SECONDS = 0.5
MAX_ITERATIONS = 100_000_000        # a keyslots.json asking for more is damaged (a minute or more per unlock)
TEST_ENV = "DWS_TEST_PBKDF2_ITERATIONS"
KEY_BYTES = 32
_PROBE = 50_000                     # iterations timed to calibrate (~45 ms on a 2020s laptop core)
_ROUND = 10_000


@dataclass(frozen=True, slots=True)
class Pbkdf2:
    """PBKDF2-HMAC-SHA-512 with this many iterations: the approved passphrase KDF (SP 800-132)."""

    iterations: int

    @property
    def name(self) -> str:
        return PBKDF2_NAME

    def derive(self, secret: bytes, salt: bytes) -> bytes:
        return PBKDF2HMAC(hashes.SHA512(), KEY_BYTES, salt, self.iterations).derive(secret)

    def as_dict(self) -> dict[str, Any]:
        return {"algorithm": "pbkdf2-hmac-sha512", "iterations": self.iterations}

    def describe(self) -> str:
        return f"{PBKDF2_NAME}, {self.iterations:,} iterations"


@dataclass(frozen=True, slots=True)
class Argon2:
    """Argon2id with this cost: the passphrase KDF of `crypto = standard` (and of every slot before issue 23)."""

    memory_kib: int = 64 * 1024
    iterations: int = 3
    lanes: int = 4

    @property
    def name(self) -> str:
        return ARGON2_NAME

    def derive(self, secret: bytes, salt: bytes) -> bytes:
        try:
            return argon2id(salt=salt, length=KEY_BYTES, iterations=self.iterations, lanes=self.lanes,
                            memory_cost=self.memory_kib).derive(secret)
        except UnsupportedAlgorithm:            # OpenSSL's FIPS provider alone: no Argon2 (make fips-check)
            raise StoreError(ARGON2_UNAVAILABLE) from None

    def as_dict(self) -> dict[str, Any]:
        return {"algorithm": "argon2id", "memory_kib": self.memory_kib, "iterations": self.iterations,
                "lanes": self.lanes}

    def describe(self) -> str:
        return f"{ARGON2_NAME}, {self.memory_kib // 1024} MiB, {self.iterations} passes, {self.lanes} lanes"


SlotKdf = Pbkdf2 | Argon2


def _count(value: object, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError("a keyslot's KDF cost is out of range")
    return value


def from_dict(d: Mapping[str, Any]) -> SlotKdf:
    """A slot's KDF as keyslots.json records it; ValueError, KeyError or TypeError when it is malformed."""
    algorithm = d.get("algorithm", "argon2id")
    if algorithm == "pbkdf2-hmac-sha512":
        return Pbkdf2(_count(d["iterations"], 1, MAX_ITERATIONS))
    if algorithm == "argon2id":
        return Argon2(_count(d["memory_kib"], 8, 4 * 1024 * 1024), _count(d["iterations"], 1, 100),
                      _count(d["lanes"], 1, 64))
    raise ValueError("unknown keyslot KDF")


def _source_checkout() -> bool:
    """Whether this code runs from a source checkout that holds the test suite (not an installed program)."""
    root = Path(__file__).resolve().parents[2]
    return (root / "tests" / "conftest.py").is_file() and (root / "pyproject.toml").is_file()


def suite_floor() -> int | None:
    """The test suite's lower floor (DWS_TEST_PBKDF2_ITERATIONS), or None when it is not set. Refused (StoreError)
    outside a source checkout, or when it is not a whole number."""
    text = os.environ.get(TEST_ENV, "").strip()
    if not text:
        return None
    if not _source_checkout():
        raise StoreError(f"{TEST_ENV} is set: it lowers the cost of passphrase key derivation for the test suite "
                         "only, and an installed workstation refuses it; nothing was changed. Unset it, then try "
                         "again")
    if not text.isdigit() or not 1 <= int(text) <= MAX_ITERATIONS:
        raise StoreError(f"{TEST_ENV} must be a whole number from 1 to {MAX_ITERATIONS:,} (it is for the test "
                         "suite only); nothing was changed")
    return int(text)


def floor() -> int:
    """The fewest PBKDF2 iterations a keyslot may keep: MIN_ITERATIONS, or the test suite's floor."""
    lowered = suite_floor()
    return MIN_ITERATIONS if lowered is None else lowered


def measure_rate() -> float:
    """PBKDF2-HMAC-SHA-512 iterations per second on this machine (the faster of two timed runs)."""
    best = math.inf
    for _ in range(2):
        start = time.perf_counter()
        PBKDF2HMAC(hashes.SHA512(), KEY_BYTES, b"\0" * 16, _PROBE).derive(b"calibration")
        best = min(best, time.perf_counter() - start)
    return _PROBE / max(best, 1e-6)


def calibrate(rate: float | None = None, target: float = TARGET_SECONDS) -> int:
    """The iteration count for new slots: `target` seconds at `rate` (measured when not given), rounded up to a
    multiple of 10,000, never under the floor. Under the test suite's floor, that floor (nothing measured)."""
    lowered = suite_floor()
    if lowered is not None:
        return lowered
    wanted = math.ceil((rate if rate is not None else measure_rate()) * target / _ROUND) * _ROUND
    return max(MIN_ITERATIONS, min(wanted, MAX_ITERATIONS))


def outdated(kdf: SlotKdf, mode: Mode) -> bool:
    """Whether a slot made with `kdf` is to be re-wrapped at its next unlock under `mode`: another algorithm than
    the mode's, or fewer PBKDF2 iterations than the floor."""
    if uses_argon2(mode):
        return not isinstance(kdf, Argon2)
    return not isinstance(kdf, Pbkdf2) or kdf.iterations < floor()
