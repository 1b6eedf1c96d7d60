"""SHA-256 for every digest the product computes (the audit chain, the log's Merkle tree, the plan and findings
hashes, letter, package, backup and file digests, key fingerprints), through the same library as every other
primitive: `cryptography`, that is OpenSSL's EVP digests (FIPS 180-4). Outputs are byte-identical to hashlib's.

Speed: building a `hashes.Hash` costs an OpenSSL digest fetch each time (about 1 µs, three times hashlib's whole
call on a log entry). Every digest here starts instead as a copy of one empty context made at import
(`EVP_MD_CTX_copy_ex`: no fetch), which leaves about 0.2 µs per call over hashlib's (`bench/digest.py`).
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes

ALGORITHM = "SHA-256"
DIGEST_SIZE = 32

# One empty SHA-256 context; every digest is a copy of it. Never updated or finalized itself.
_EMPTY = hashes.Hash(hashes.SHA256())
_new = _EMPTY.copy


def sha256(data: bytes | bytearray | memoryview) -> bytes:
    """SHA-256 of `data` (32 bytes)."""
    h = _new()
    h.update(data)
    return h.finalize()


def sha256_hex(data: bytes | bytearray | memoryview) -> str:
    """SHA-256 of `data` as 64 lowercase hex digits."""
    h = _new()
    h.update(data)
    return h.finalize().hex()


class Hasher:
    """An incremental SHA-256, as hashlib's: update() any number of times; digest() and hexdigest() do not end
    it (they finalize a copy), so more data may follow."""

    __slots__ = ("_ctx",)
    digest_size = DIGEST_SIZE
    name = "sha256"

    def __init__(self, data: bytes | bytearray | memoryview = b"") -> None:
        self._ctx = _new()
        if data:
            self._ctx.update(data)

    def update(self, data: bytes | bytearray | memoryview) -> None:
        self._ctx.update(data)

    def digest(self) -> bytes:
        return self._ctx.copy().finalize()

    def hexdigest(self) -> str:
        return self._ctx.copy().finalize().hex()

    def copy(self) -> Hasher:
        twin = Hasher.__new__(Hasher)
        twin._ctx = self._ctx.copy()
        return twin
