"""Who signs: one interface for a user's signing key, wherever the private half lives.

A `Signer` signs decisions, approvals, checkpoints and letters for one user. A key in the user's keyslot
(`SoftwareSigner`) is unwrapped with the passphrase just before signing; a key on a PKCS#11 token (a PIV card,
`workstation/keys/pkcs11.py`) never leaves it and signs after the card's PIN opens a session. Callers use a
signer as a context manager so that a token session is closed (and a software key dropped) when done.
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from . import primitives as p


class Signer(Protocol):
    """Signs for one user: ECDSA P-256 with SHA-256 (DER signatures), or Ed25519 for keys made before."""

    @property
    def algorithm(self) -> str: ...              # primitives.ED25519 or primitives.ECDSA_P256

    @property
    def public_key(self) -> bytes: ...           # raw 32 bytes (Ed25519) or SubjectPublicKeyInfo DER

    def sign(self, message: bytes) -> bytes: ...

    def close(self) -> None: ...

    def __enter__(self) -> Signer: ...

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None: ...


class SoftwareSigner:
    """A private key unwrapped from the user's keyslot, held only while the signer is open."""

    def __init__(self, private: bytes) -> None:
        self._private: bytes | None = private
        self._public = p.public_from_private(private)

    @property
    def algorithm(self) -> str:
        return p.key_algorithm(self._public)

    @property
    def public_key(self) -> bytes:
        return self._public

    def sign(self, message: bytes) -> bytes:
        if self._private is None:
            raise RuntimeError("this signer was closed")
        return p.sign(self._private, message)

    def close(self) -> None:
        self._private = None

    def __enter__(self) -> SoftwareSigner:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
