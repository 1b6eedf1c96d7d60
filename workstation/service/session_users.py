"""Session methods for users and their keys: enrolling (a key in the keyslot, or on a PKCS#11 token), resetting,
re-binding after a recovery, asking for the passphrase (or the card's PIN) again before signing."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..errors import AuthError, InputError
from ..keys.pkcs11 import TokenRef
from ..keys.primitives import fingerprint
from ..keys.signer import Signer, SoftwareSigner
from ..model import USER_ROLES, UserInfo
from ..store import auditlog, certificates, db, logtree, opening
from ..store import users as users_sql

if TYPE_CHECKING:
    from .session import Session

USER_NAME = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")
MIN_PASSPHRASE = 12

def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise InputError(f"a passphrase needs at least {MIN_PASSPHRASE} characters")


def check_user_name(name: str) -> None:
    if not USER_NAME.match(name):
        raise InputError("a user name is 2-32 characters: lower-case letters, digits, '.', '_' or '-', "
                         "starting with a letter")


class UsersMixin:
    def users(self: Session) -> list[UserInfo]:
        return users_sql.all_users(self.conn)

    def add_user(self: Session, name: str, role: str, passphrase: str) -> UserInfo:
        self.require("manage-users")
        check_user_name(name)
        if role not in USER_ROLES:
            raise InputError(f"unknown role {role!r}; one of: {', '.join(USER_ROLES)}")
        check_passphrase(passphrase)
        if users_sql.get(self.conn, name) is not None:
            raise InputError(f"user {name!r} already exists")
        slots = self._store.keyslots
        stretched = slots.set_user(name, passphrase, self._store.data_key, self._store.device_secret)
        with db.transaction(self.conn):
            public = users_sql.insert(self.conn, name, role, slots.signing_wrap_key(stretched, name),
                                      created_by=self.user)
            self.log("user-added", name, {"role": role, "fingerprint": fingerprint(public)})
            self._certify(name, public)
            opening.enrol_checkpoint_key(self.conn, slots, name, stretched, by=self.user)
            opening.stage_keyslots(self.conn, slots)
        opening.save_keyslots(self.path, slots)
        info = users_sql.get(self.conn, name)
        assert info is not None
        return info

    def reset_user(self: Session, name: str, passphrase: str) -> UserInfo:
        """(admin) A new passphrase and a new signing key for a user who lost theirs, or whose keyslot no
        longer opens after the store was re-bound to a new machine."""
        self.require("manage-users")
        if users_sql.get(self.conn, name) is None:
            raise InputError(f"no user {name!r}")
        check_passphrase(passphrase)
        with db.transaction(self.conn):
            self._replace_key(name, passphrase)
        opening.save_keyslots(self.path, self._store.keyslots)
        info = users_sql.get(self.conn, name)
        assert info is not None
        return info

    def _replace_key(self: Session, name: str, passphrase: str) -> None:
        """Inside a transaction: a new keyslot and signing key for `name`, logged, the keyslots staged. A user
        whose key is on a token keeps it (the card is theirs; only the passphrase changes), and keeps a
        checkpoint key on the card too."""
        slots = self._store.keyslots
        stretched = slots.set_user(name, passphrase, self._store.data_key, self._store.device_secret)
        if users_sql.token(self.conn, name) is None:
            public = users_sql.replace_key(self.conn, name, slots.signing_wrap_key(stretched, name))
            self.log("user-reset", name, {"fingerprint": fingerprint(public)})
            self._certify(name, public)
        else:
            public = users_sql.public_key(self.conn, name) or b""
            self.log("user-reset", name, {"fingerprint": fingerprint(public), "key": "pkcs11 (kept)"})
        active = logtree.active_checkpoint_key(self.conn, name)
        if active is None or not active[1]:
            key = opening.enrol_checkpoint_key(self.conn, slots, name, stretched, by=self.user)
            if name == self.user:
                self._store.checkpoint_key = key
        opening.stage_keyslots(self.conn, slots)

    def _certify(self: Session, name: str, public: bytes) -> None:
        """Inside a transaction: the office CA's certificate for `name`'s new signing key, announced."""
        store = self._store
        certificates.issue(self.conn, store.data_key, store.keyslots.store_id, name, public, by=self.user)

    def rebind(self: Session, admin: str, passphrase: str) -> tuple[UserInfo, list[str], str | None]:
        """After a recovery-code unlock: bind the store to this machine (a new device secret in its keyring,
        where it has one) and give `admin` a new passphrase. Every other user's keyslot is void and must be
        reset by an admin. Returns (admin info, users to reset, notice or None)."""
        if self.user is not None:
            raise AuthError("re-binding needs a recovery-code unlock")
        info = users_sql.get(self.conn, admin)
        if info is None or info.role != "admin":
            raise InputError(f"{admin!r} is not an admin of this store")
        check_passphrase(passphrase)
        notice = opening.rebind_device(self._store)
        others = sorted(u for u in self._store.keyslots.users if u != admin)
        for u in others:
            del self._store.keyslots.users[u]
        self.role = "admin"
        with db.transaction(self.conn):     # one change: the slots voided and the admin's new key together
            self.log("store-rebound", None, {"device_binding": self._store.keyslots.device_binding,
                                             "slots_voided": others})
            self._replace_key(admin, passphrase)
        opening.save_keyslots(self.path, self._store.keyslots)
        return info, others, notice

    def reauthenticate(self: Session, passphrase: str) -> bytes:
        """Check the user's passphrase again (before signing, or to leave the lock screen). Failures count
        towards the lockout and are logged. Returns the stretched passphrase (for the signing key)."""
        if self.user is None:
            raise AuthError("a recovery-code session has no passphrase to check")
        from ..keys.lockout import Lockout

        lockout = Lockout(self.path)
        lockout.check(self.user)
        if not passphrase:           # an empty entry is not an attempt: nothing counted, nothing logged
            raise AuthError("enter your passphrase")
        slots = self._store.keyslots
        stretched = slots.stretch(self.user, passphrase)
        if stretched is None or slots.open_user(self.user, stretched, self._store.device_secret) is None:
            lockout.record_failure(self.user, "reauth-failed")
            raise AuthError("wrong passphrase")
        for ev in lockout.record_success(self.user):
            with db.transaction(self.conn):
                auditlog.append(self.conn, ev["event"], user=ev["user"])
        return stretched

    def signer(self: Session, secret: str) -> Signer:
        """The user's signer, after asking for the secret again (Electrum's @protected): the passphrase for a
        key in the keyslot, the card's PIN for a key on a PKCS#11 token. Use it as a context manager: the
        unwrapped key is dropped (the card logged out) when the block ends."""
        from . import tokens

        if self.key_on_card():
            return tokens.signer(self, secret)
        stretched = self.reauthenticate(secret)
        assert self.user is not None
        key = users_sql.signing_key(self.conn, self.user, self._store.keyslots.signing_wrap_key(stretched, self.user))
        if key is None:
            raise AuthError("your signing key cannot be unwrapped with this passphrase")
        return SoftwareSigner(key)

    # --- keys on a PKCS#11 token (see tokens.py) --------------------------------------------------
    def add_token_user(self: Session, name: str, role: str, passphrase: str, token: TokenRef, pin: str) -> UserInfo:
        """(admin) Enrol a user whose signing key is on a PKCS#11 token; the PIN proves the key, never kept."""
        from .tokens import add_token_user

        return add_token_user(self, name, role, passphrase, token, pin)

    def key_on_card(self: Session, user: str | None = None) -> bool:
        """Does the user (default: the signed-in user) sign with a key on a PKCS#11 token (asked the card's
        PIN instead of the passphrase when signing)?"""
        name = user or self.user
        return name is not None and users_sql.token(self.conn, name) is not None

    def token_of(self: Session, user: str | None = None) -> TokenRef | None:
        from .tokens import token_ref

        return token_ref(self, user)

    def checkpoint_on_card(self: Session) -> bool:
        """Is the signed-in user's checkpoint key on their card (checkpoints need the card open)?"""
        from .tokens import checkpoint_on_card

        return checkpoint_on_card(self)

    def open_card(self: Session, pin: str) -> None:
        """Open the card with its PIN for this session's checkpoints (no-op unless the checkpoint key is on it)."""
        from .tokens import open_card

        open_card(self, pin)

    def close_card(self: Session) -> None:
        """Log the card out (on lock and at the end of the session)."""
        from .tokens import close_card

        close_card(self)
