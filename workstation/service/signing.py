"""The signed-in user's signer, after asking for the secret again (Electrum's @protected): the passphrase for
a key in the keyslot (users.py), the card's PIN for a key on a PKCS#11 token (tokens.py)."""

from __future__ import annotations

from ..errors import AuthError
from ..keys.signer import Signer, SoftwareSigner
from ..store import users as users_sql
from . import tokens
from .context import Ctx
from .users import key_on_card, reauthenticate


def signer(s: Ctx, secret: str) -> Signer:
    """Use it as a context manager: the unwrapped key is dropped (the card logged out) when the block ends."""
    if key_on_card(s):
        return tokens.signer(s, secret)
    stretched = reauthenticate(s, secret)
    assert s.user is not None
    key = users_sql.signing_key(s.conn, s.user, s.store.keyslots.signing_wrap_key(stretched, s.user))
    if key is None:
        raise AuthError("your signing key cannot be unwrapped with this passphrase")
    return SoftwareSigner(key)
