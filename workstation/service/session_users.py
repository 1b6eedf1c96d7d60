"""Session methods for users and their keys (users.py; keys on a PKCS#11 token: tokens.py; signing:
signing.py): enrolling, resetting, re-binding after a recovery, asking for the passphrase (or the card's PIN)
again before signing."""

from __future__ import annotations

from ..keys.pkcs11 import TokenRef
from ..keys.signer import Signer
from ..model import UserInfo
from ..store import users as users_sql
from . import signing, tokens, users
from .context import Ctx


class UsersMixin:
    _ctx: Ctx

    def users(self) -> list[UserInfo]:
        return users_sql.all_users(self._ctx.conn)

    def add_user(self, name: str, role: str, passphrase: str) -> UserInfo:
        return users.add_user(self._ctx, name, role, passphrase)

    def reset_user(self, name: str, passphrase: str) -> UserInfo:
        """(admin) A new passphrase and a new signing key for a user who lost theirs, or whose keyslot no
        longer opens after the store was re-bound to a new machine."""
        return users.reset_user(self._ctx, name, passphrase)

    def rebind(self, admin: str, passphrase: str) -> tuple[UserInfo, list[str], str | None]:
        """After a recovery-code unlock: bind the store to this machine and give `admin` a new passphrase.
        Returns (admin info, users to reset, notice or None)."""
        return users.rebind(self._ctx, admin, passphrase)

    def reauthenticate(self, passphrase: str) -> bytes:
        """Check the user's passphrase again (before signing, or to leave the lock screen). Failures count
        towards the lockout and are logged. Returns the stretched passphrase (for the signing key)."""
        return users.reauthenticate(self._ctx, passphrase)

    def signer(self, secret: str) -> Signer:
        """The user's signer, after asking for the secret again: the passphrase for a key in the keyslot, the
        card's PIN for a key on a PKCS#11 token. Use it as a context manager."""
        return signing.signer(self._ctx, secret)

    # --- keys on a PKCS#11 token (see tokens.py) --------------------------------------------------
    def add_token_user(self, name: str, role: str, passphrase: str, token: TokenRef, pin: str) -> UserInfo:
        """(admin) Enrol a user whose signing key is on a PKCS#11 token; the PIN proves the key, never kept."""
        return tokens.add_token_user(self._ctx, name, role, passphrase, token, pin)

    def key_on_card(self, user: str | None = None) -> bool:
        """Does the user (default: the signed-in user) sign with a key on a PKCS#11 token (asked the card's
        PIN instead of the passphrase when signing)?"""
        return users.key_on_card(self._ctx, user)

    def token_of(self, user: str | None = None) -> TokenRef | None:
        return tokens.token_ref(self._ctx, user)

    def checkpoint_on_card(self) -> bool:
        """Is the signed-in user's checkpoint key on their card (checkpoints need the card open)?"""
        return tokens.checkpoint_on_card(self._ctx)

    def open_card(self, pin: str) -> None:
        """Open the card with its PIN for this session's checkpoints (no-op unless the checkpoint key is on it)."""
        tokens.open_card(self._ctx, pin)

    def close_card(self) -> None:
        """Log the card out (on lock and at the end of the session)."""
        tokens.close_card(self._ctx)
