"""LUKS-like keyslots in `keyslots.json` beside the database.

The database is encrypted with a random 256-bit data key. Each user has a slot holding that key wrapped
(AES-256-GCM) under a key-encryption key derived from the user's passphrase (PBKDF2-HMAC-SHA-512, or Argon2id
under `crypto = standard`: kdf.py, the slot records which) and, where the machine has an OS keyring, mixed
(HKDF) with the store's device secret. A recovery slot wraps the same key under the recovery code alone, so a
store moved to a new machine can still be opened.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..crypto import Mode, uses_argon2
from ..errors import StoreError
from ..fsutil import atomic_write
from . import kdf
from . import primitives as p

FORMAT = "dws.keyslots/1"


@dataclass
class Keyslots:
    store_id: str
    device_binding: bool
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    recovery: dict[str, Any] | None = None
    pbkdf2_iterations: int | None = None     # calibrated for this store's PBKDF2 slots (None: not yet)

    # --- persistence ---------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path) -> Keyslots:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if doc.get("format") != FORMAT:
                raise ValueError("format")
            slots = cls.from_document(doc)
            for slot in [*slots.users.values(), *([slots.recovery] if slots.recovery else [])]:
                kdf.from_dict(slot["kdf"])
            return slots
        except FileNotFoundError:
            raise StoreError(f"no store at {path.parent} (keyslots.json is missing); create one with "
                             "'dws init' or 'dws demo'") from None
        except (ValueError, KeyError, TypeError, AttributeError):
            raise StoreError(f"{path} is damaged; restore the store folder from a backup") from None

    def document(self) -> dict[str, Any]:
        doc = {"format": FORMAT, "store_id": self.store_id, "device_binding": self.device_binding,
               "users": self.users, "recovery": self.recovery}
        if self.pbkdf2_iterations is not None:
            doc["pbkdf2_iterations"] = self.pbkdf2_iterations
        return doc

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Keyslots:
        iterations = doc.get("pbkdf2_iterations")
        return cls(doc["store_id"], bool(doc["device_binding"]), dict(doc["users"]), doc["recovery"],
                   None if iterations is None else kdf.from_dict({"algorithm": "pbkdf2-hmac-sha512",
                                                                  "iterations": iterations}).iterations)

    def save(self, path: Path) -> None:
        atomic_write(path, (json.dumps(self.document(), indent=1, sort_keys=True) + "\n").encode("utf-8"))

    # --- key derivation ------------------------------------------------------------------------
    def _aad(self, slot: str) -> bytes:
        return f"dws/keyslot/v1|{self.store_id}|{slot}".encode()

    def _kek(self, stretched: bytes, slot: str, device_secret: bytes | None) -> bytes:
        return p.hkdf(stretched, salt=device_secret, info=self._aad(slot))

    def signing_wrap_key(self, stretched: bytes, user: str) -> bytes:
        """Wraps the user's signing key: from the passphrase alone, so re-binding keeps signing keys."""
        return p.hkdf(stretched, salt=None, info=f"dws/signing-key/v1|{self.store_id}|{user}".encode())

    def checkpoint_wrap_key(self, stretched: bytes, user: str) -> bytes:
        """Wraps the user's checkpoint key (unwrapped at unlock, held for the session): passphrase alone."""
        return p.hkdf(stretched, salt=None, info=f"dws/checkpoint-key/v1|{self.store_id}|{user}".encode())

    # --- which KDF -----------------------------------------------------------------------------
    def new_kdf(self, mode: Mode) -> kdf.SlotKdf:
        """The KDF of a slot made now under `mode`: Argon2id, or PBKDF2 with the store's calibrated count
        (calibrated here when the store has none yet, or one under the floor)."""
        if uses_argon2(mode):
            return kdf.Argon2()
        if self.pbkdf2_iterations is None or self.pbkdf2_iterations < kdf.floor():
            self.pbkdf2_iterations = kdf.calibrate()
        return kdf.Pbkdf2(self.pbkdf2_iterations)

    def decoy_kdf(self, mode: Mode) -> kdf.SlotKdf:
        """What an unlock of an unknown user spends its time on: a slot's cost under `mode` (nothing measured)."""
        if uses_argon2(mode):
            return kdf.Argon2()
        return kdf.Pbkdf2(max(self.pbkdf2_iterations or 0, kdf.floor()))

    def user_kdf(self, user: str) -> kdf.SlotKdf | None:
        slot = self.users.get(user)
        return None if slot is None else kdf.from_dict(slot["kdf"])

    def recovery_kdf(self) -> kdf.SlotKdf | None:
        return kdf.from_dict(self.recovery["kdf"]) if self.recovery else None

    # --- user slots ----------------------------------------------------------------------------
    def set_user(self, user: str, passphrase: str, data_key: bytes, device_secret: bytes | None,
                 slot_kdf: kdf.SlotKdf) -> bytes:
        """Create or replace the user's slot. Returns the KDF's output (the stretched passphrase), from which
        the keys wrapping the user's signing and checkpoint keys are derived."""
        salt = p.new_salt()
        stretched = slot_kdf.derive(passphrase.encode("utf-8"), salt)
        nonce, wrapped = p.wrap(data_key, self._kek(stretched, f"user:{user}", device_secret),
                                self._aad(f"user:{user}"))
        self.users[user] = {"salt": p.b64(salt), "kdf": slot_kdf.as_dict(), "nonce": p.b64(nonce),
                            "wrapped_key": p.b64(wrapped)}
        return stretched

    def stretch(self, user: str, passphrase: str) -> bytes | None:
        slot = self.users.get(user)
        if slot is None:
            return None
        return kdf.from_dict(slot["kdf"]).derive(passphrase.encode("utf-8"), p.unb64(slot["salt"]))

    def open_user(self, user: str, stretched: bytes, device_secret: bytes | None) -> bytes | None:
        slot = self.users[user]
        kek = self._kek(stretched, f"user:{user}", device_secret)
        return p.unwrap(p.unb64(slot["nonce"]), p.unb64(slot["wrapped_key"]), kek, self._aad(f"user:{user}"))

    # --- recovery slot -------------------------------------------------------------------------
    def set_recovery(self, code: str, data_key: bytes, slot_kdf: kdf.SlotKdf) -> None:
        salt = p.new_salt()
        stretched = slot_kdf.derive(p.normalize_recovery_code(code).encode("ascii"), salt)
        nonce, wrapped = p.wrap(data_key, self._kek(stretched, "recovery", None), self._aad("recovery"))
        self.recovery = {"salt": p.b64(salt), "kdf": slot_kdf.as_dict(), "nonce": p.b64(nonce),
                         "wrapped_key": p.b64(wrapped)}

    def open_recovery(self, code: str) -> bytes | None:
        slot = self.recovery
        if not slot:
            return None
        stretched = kdf.from_dict(slot["kdf"]).derive(p.normalize_recovery_code(code).encode("ascii"),
                                                      p.unb64(slot["salt"]))
        kek = self._kek(stretched, "recovery", None)
        return p.unwrap(p.unb64(slot["nonce"]), p.unb64(slot["wrapped_key"]), kek, self._aad("recovery"))
