"""What every service module works with: one unlocked store and the user who unlocked it.

`Session` (session.py) makes one `Ctx` when it opens and hands it to the service modules; they take a `Ctx`,
never the `Session`, so the imports run one way: session.py -> service modules -> context.py -> store/.
(tests/test_layering.py checks the graph.) The connection, the user and their role, the audit log and the
settings are here; the clock is `workstation.clock`, as everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import policy
from ..keys.kdf import SlotKdf
from ..settings import Settings, SettingValue
from ..store import auditlog, db, opening
from ..store import settings as settings_sql
from . import roles

if TYPE_CHECKING:
    from ..keys.pkcs11 import Card

Progress = Callable[[int, int | None], None]   # (done, total or None)
CancelCheck = Callable[[], bool]


@dataclass(eq=False)
class Ctx:
    store: opening.OpenStore
    role: str | None                  # None: a user the store no longer knows (a recovery session is "admin")
    card: Card | None = None          # the user's PKCS#11 card while open for checkpoints (tokens.py)

    @property
    def conn(self) -> db.Connection:
        return self.store.conn

    @property
    def user(self) -> str | None:
        """None in a recovery-code session."""
        return self.store.user

    @property
    def path(self) -> Path:
        """The store folder."""
        return self.store.path

    def database_file(self) -> Path:
        return self.path / db.DB_NAME

    def data_key_for_workers(self) -> bytes:
        """The raw data key, handed only to this process's own evaluation workers (over a private pipe)."""
        return self.store.data_key

    def require(self, action: str) -> None:
        roles.require(self.role, action)

    def log(self, event: str, obj: str | None = None, detail: dict[str, Any] | None = None) -> None:
        """Append an audit entry inside the current transaction."""
        auditlog.append(self.conn, event, user=self.user, obj=obj, detail=detail)

    def fixed(self) -> Mapping[str, SettingValue]:
        """The settings the office policy fixes (re-read when its file changes)."""
        return policy.current().values

    def new_slot_kdf(self) -> SlotKdf:
        """The KDF of a keyslot made now (a user added or reset): the office policy's cryptography mode's."""
        return self.store.keyslots.new_kdf(policy.current().crypto_mode)

    def settings(self) -> Settings:
        """Every setting: the office policy's where it fixes one, else the store's, else the default."""
        return settings_sql.all_settings(self.conn, self.fixed())

    def setting(self, key: str) -> SettingValue:
        return settings_sql.get(self.conn, key, self.fixed())
