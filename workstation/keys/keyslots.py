"""LUKS-like keyslots in `keyslots.json` beside the database.

The database is encrypted with a random 256-bit data key. Each user has a slot holding that key wrapped
(AES-256-GCM) under a key-encryption key derived from the user's passphrase with Argon2id and, where the
machine has an OS keyring, mixed (HKDF) with the store's device secret. A recovery slot wraps the same key
under the recovery code alone, so a store moved to a new machine can still be opened.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..fsutil import atomic_write
from . import primitives as p

FORMAT = "dws.keyslots/1"


@dataclass
class Keyslots:
    store_id: str
    device_binding: bool
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    recovery: dict[str, Any] | None = None

    # --- persistence ---------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path) -> Keyslots:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if doc.get("format") != FORMAT:
                raise ValueError("format")
            return cls(doc["store_id"], bool(doc["device_binding"]), dict(doc["users"]), doc["recovery"])
        except FileNotFoundError:
            raise StoreError(f"no store at {path.parent} (keyslots.json is missing); create one with "
                             "'dws init' or 'dws demo'") from None
        except (ValueError, KeyError, TypeError, AttributeError):
            raise StoreError(f"{path} is damaged; restore the store folder from a backup") from None

    def document(self) -> dict[str, Any]:
        return {"format": FORMAT, "store_id": self.store_id, "device_binding": self.device_binding,
                "users": self.users, "recovery": self.recovery}

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Keyslots:
        return cls(doc["store_id"], bool(doc["device_binding"]), dict(doc["users"]), doc["recovery"])

    def save(self, path: Path) -> None:
        atomic_write(path, (json.dumps(self.document(), indent=1, sort_keys=True) + "\n").encode("utf-8"))

    # --- key derivation ------------------------------------------------------------------------
    def _aad(self, slot: str) -> bytes:
        return f"dws/keyslot/v1|{self.store_id}|{slot}".encode()

    def _kek(self, stretched: bytes, slot: str, device_secret: bytes | None) -> bytes:
        return p.hkdf(stretched, salt=device_secret, info=self._aad(slot))

    def signing_wrap_key(self, stretched: bytes, user: str) -> bytes:
        """Wraps the user's Ed25519 key: from the passphrase alone, so re-binding keeps signing keys."""
        return p.hkdf(stretched, salt=None, info=f"dws/signing-key/v1|{self.store_id}|{user}".encode())

    def checkpoint_wrap_key(self, stretched: bytes, user: str) -> bytes:
        """Wraps the user's checkpoint key (unwrapped at unlock, held for the session): passphrase alone."""
        return p.hkdf(stretched, salt=None, info=f"dws/checkpoint-key/v1|{self.store_id}|{user}".encode())

    # --- user slots ----------------------------------------------------------------------------
    def set_user(self, user: str, passphrase: str, data_key: bytes, device_secret: bytes | None,
                 params: p.KdfParams | None = None) -> bytes:
        """Create or replace the user's slot. Returns the Argon2id output for wrapping the signing key."""
        params = params or p.KdfParams()
        salt = p.new_salt()
        stretched = p.argon2id(passphrase.encode("utf-8"), salt, params)
        nonce, wrapped = p.wrap(data_key, self._kek(stretched, f"user:{user}", device_secret),
                                self._aad(f"user:{user}"))
        self.users[user] = {"salt": p.b64(salt), "kdf": params.as_dict(), "nonce": p.b64(nonce),
                            "wrapped_key": p.b64(wrapped)}
        return stretched

    def stretch(self, user: str, passphrase: str) -> bytes | None:
        slot = self.users.get(user)
        if slot is None:
            return None
        return p.argon2id(passphrase.encode("utf-8"), p.unb64(slot["salt"]), p.KdfParams.from_dict(slot["kdf"]))

    def open_user(self, user: str, stretched: bytes, device_secret: bytes | None) -> bytes | None:
        slot = self.users[user]
        kek = self._kek(stretched, f"user:{user}", device_secret)
        return p.unwrap(p.unb64(slot["nonce"]), p.unb64(slot["wrapped_key"]), kek, self._aad(f"user:{user}"))

    # --- recovery slot -------------------------------------------------------------------------
    def set_recovery(self, code: str, data_key: bytes) -> None:
        params = p.KdfParams()
        salt = p.new_salt()
        stretched = p.argon2id(p.normalize_recovery_code(code).encode("ascii"), salt, params)
        nonce, wrapped = p.wrap(data_key, self._kek(stretched, "recovery", None), self._aad("recovery"))
        self.recovery = {"salt": p.b64(salt), "kdf": params.as_dict(), "nonce": p.b64(nonce),
                         "wrapped_key": p.b64(wrapped)}

    def open_recovery(self, code: str) -> bytes | None:
        slot = self.recovery
        if not slot:
            return None
        stretched = p.argon2id(p.normalize_recovery_code(code).encode("ascii"), p.unb64(slot["salt"]),
                               p.KdfParams.from_dict(slot["kdf"]))
        kek = self._kek(stretched, "recovery", None)
        return p.unwrap(p.unb64(slot["nonce"]), p.unb64(slot["wrapped_key"]), kek, self._aad("recovery"))
