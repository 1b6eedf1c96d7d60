"""The users of an office (issue 19, i19o): `dws user list` and the Users window on an office profile.

Each login of one of the office's role groups (store/office/members.py, the server's own record of who holds
which office role), with the fingerprint of the signing key the office registered for it (store/office/
signing_keys.py; "" when it has none yet) and whether it may log in. An office user's signing key lives in the
office, wrapped under the secret their keyslot holds: its place is "keyslot", as for a local user without a card;
one enrolled with a card's key (schema step 9) has it on the card, and its place names the token.
Which desktops a user works from is not known: a desktop's certificate admits every user (README, "Known limits"),
and the office log records desktops, not who unlocked on them.

Adding a user is `dws office enrol --user NAME --role ROLE`; resetting one's passphrase is `dws office recover`
(the recovery code); a local store's `user reset` (new passphrase and new signing key, by an admin) has no office
equivalent: the server keeps each user's registered signing key as stored and refuses a replacement.
"""

from __future__ import annotations

from ..keys import primitives as p
from ..keys.pkcs11 import TokenRef
from ..model import UserInfo
from ..store.office import members
from ..store.office import signing_keys as signing_keys_sql
from ..store.office.roles import roles_for
from . import office_errors
from .office_records import OfficeCtx


def users(o: OfficeCtx) -> list[UserInfo]:
    """Every user of the office, by login (every office role may list them, as every local user may)."""
    with office_errors.mapped(refused="the office server refuses it: your office role may not list its users",
                              lost="office server unreachable: the connection ended while the users were read; try "
                                   "again when the server is back"):
        keys = signing_keys_sql.public_keys(o.conn) if signing_keys_sql.exists(o.conn) else {}
        cards = {login: TokenRef.from_json(text).token_label for login, text in signing_keys_sql.tokens(o.conn).items()}
        found = members.logins(o.conn, roles_for(o.conn.info.dbname))
    return [UserInfo(login, role, p.fingerprint(keys[login]) if login in keys else "", active, cards.get(login))
            for login, role, active in found]
