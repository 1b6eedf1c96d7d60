"""The per-store device secret kept in the OS keyring (Secret Service, macOS Keychain, Windows Credential
Locker). It is mixed into every passphrase keyslot, so a copied store directory plus a passphrase does not
open on another machine. `keyring` costs ~125 ms to import, so it is imported only when needed.
"""

from __future__ import annotations

import base64
import contextlib
import os
from types import ModuleType

from ..crypto import rng
from ..errors import StoreError

SERVICE = "disclosure-workstation"


def _keyring() -> ModuleType:
    import keyring

    return keyring


def backend_name() -> str | None:
    """The usable keyring backend's name, or None where the machine has none (headless, no D-Bus)."""
    if os.environ.get("DWS_NO_KEYRING") == "1":
        return None
    try:
        kr = _keyring()
        backend = kr.get_keyring()
    except Exception:  # a broken keyring configuration counts as none
        return None
    from keyring.backends import fail

    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return None
    # A chainer with no members also fails: probe it.
    try:
        kr.get_password(SERVICE, "__probe__")
    except Exception:
        return None
    return f"{type(backend).__module__}.{type(backend).__name__}"


def create(store_id: str) -> bytes:
    secret = rng.new_key()
    try:
        _keyring().set_password(SERVICE, store_id, base64.b64encode(secret).decode("ascii"))
    except Exception as exc:
        raise StoreError(f"could not save the device secret in the OS keyring ({type(exc).__name__})") from None
    if load(store_id) != secret:
        raise StoreError("the OS keyring did not keep the device secret; check the keyring is unlocked")
    return secret


def load(store_id: str) -> bytes | None:
    try:
        value = _keyring().get_password(SERVICE, store_id)
    except Exception:
        return None
    if not value:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        return None


def delete(store_id: str) -> None:
    with contextlib.suppress(Exception):
        _keyring().delete_password(SERVICE, store_id)
