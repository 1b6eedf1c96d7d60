"""Users and their keys: enrolling (a key in the keyslot; on a PKCS#11 token see tokens.py), resetting,
re-binding after a recovery, asking for the passphrase again before signing."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from ..errors import AuthError, InputError
from ..keys.primitives import fingerprint
from ..model import USER_ROLES, UserInfo
from ..store import auditlog, certificates, db, logtree, opening
from ..store import users as users_sql
from .context import Ctx

USER_NAME = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")
MIN_PASSPHRASE = 12


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise InputError(f"a passphrase needs at least {MIN_PASSPHRASE} characters")


def check_user_name(name: str) -> None:
    if not USER_NAME.match(name):
        raise InputError("a user name is 2-32 characters: lower-case letters, digits, '.', '_' or '-', "
                         "starting with a letter")


def check_new_user(s: Ctx, name: str, role: str, passphrase: str) -> None:
    """(admin) The checks before enrolling `name`, whatever holds their key."""
    s.require("manage-users")
    check_user_name(name)
    if role not in USER_ROLES:
        raise InputError(f"unknown role {role!r}; one of: {', '.join(USER_ROLES)}")
    check_passphrase(passphrase)
    if users_sql.get(s.conn, name) is not None:
        raise InputError(f"user {name!r} already exists")


def add_user(s: Ctx, name: str, role: str, passphrase: str) -> UserInfo:
    check_new_user(s, name, role, passphrase)

    def record(stretched: bytes) -> bytes:
        public = users_sql.insert(s.conn, name, role, s.store.keyslots.signing_wrap_key(stretched, name),
                                  created_by=s.user)
        s.log("user-added", name, {"role": role, "fingerprint": fingerprint(public)})
        return public

    return enrol(s, name, passphrase, record)


class CardCheckpointKey(NamedTuple):
    """An Ed25519 key on the user's token that signs their checkpoints: its public key and label."""
    public_key: bytes
    label: str


def enrol(s: Ctx, name: str, passphrase: str, record: Callable[[bytes], bytes],
          card_checkpoint: CardCheckpointKey | None = None) -> UserInfo:
    """The end of enrolling a new user: a keyslot for their passphrase; then in one transaction `record`
    (given the stretched passphrase, it adds the user's row, logs it and returns their public signing key),
    the office CA's certificate for that key, their checkpoint key (the card's when given, else a software
    key wrapped under the passphrase) and the keyslots staged; the keyslots saved once it commits. Returns
    the user as stored."""
    slots = s.store.keyslots
    stretched = slots.set_user(name, passphrase, s.store.data_key, s.store.device_secret, s.new_slot_kdf())
    with db.transaction(s.conn):
        public = record(stretched)
        certify(s, name, public)        # for a card's key too: letters are signed under the office CA
        if card_checkpoint is not None:
            opening.enrol_token_checkpoint_key(s.conn, slots.store_id, name, card_checkpoint.public_key,
                                               card_checkpoint.label, by=s.user)
        else:
            opening.enrol_checkpoint_key(s.conn, slots, name, stretched, by=s.user)
        opening.stage_keyslots(s.conn, slots)
    opening.save_keyslots(s.path, slots)
    info = users_sql.get(s.conn, name)
    assert info is not None
    return info


def reset_user(s: Ctx, name: str, passphrase: str) -> UserInfo:
    """(admin) A new passphrase and a new signing key for a user who lost theirs, or whose keyslot no
    longer opens after the store was re-bound to a new machine."""
    s.require("manage-users")
    if users_sql.get(s.conn, name) is None:
        raise InputError(f"no user {name!r}")
    check_passphrase(passphrase)
    with db.transaction(s.conn):
        replace_key(s, name, passphrase)
    opening.save_keyslots(s.path, s.store.keyslots)
    info = users_sql.get(s.conn, name)
    assert info is not None
    return info


def replace_key(s: Ctx, name: str, passphrase: str) -> None:
    """Inside a transaction: a new keyslot and signing key for `name`, logged, the keyslots staged. A user
    whose key is on a token keeps it (the card is theirs; only the passphrase changes), and keeps a
    checkpoint key on the card too."""
    slots = s.store.keyslots
    stretched = slots.set_user(name, passphrase, s.store.data_key, s.store.device_secret, s.new_slot_kdf())
    if users_sql.token(s.conn, name) is None:
        public = users_sql.replace_key(s.conn, name, slots.signing_wrap_key(stretched, name))
        s.log("user-reset", name, {"fingerprint": fingerprint(public)})
        certify(s, name, public)
    else:
        public = users_sql.public_key(s.conn, name) or b""
        s.log("user-reset", name, {"fingerprint": fingerprint(public), "key": "pkcs11 (kept)"})
    active = logtree.active_checkpoint_key(s.conn, name)
    if active is None or not active[1]:
        key = opening.enrol_checkpoint_key(s.conn, slots, name, stretched, by=s.user)
        if name == s.user:
            s.store.checkpoint_key = key
    opening.stage_keyslots(s.conn, slots)


def certify(s: Ctx, name: str, public: bytes) -> None:
    """Inside a transaction: the office CA's certificate for `name`'s new signing key, announced."""
    store = s.store
    certificates.issue(s.conn, store.data_key, store.keyslots.store_id, name, public, fixed=s.fixed(),
                       by=s.user)


def rebind(s: Ctx, admin: str, passphrase: str) -> tuple[UserInfo, list[str], str | None]:
    """After a recovery-code unlock: bind the store to this machine (a new device secret in its keyring,
    where it has one) and give `admin` a new passphrase. Every other user's keyslot is void and must be
    reset by an admin. Returns (admin info, users to reset, notice or None)."""
    if s.user is not None:
        raise AuthError("re-binding needs a recovery-code unlock")
    info = users_sql.get(s.conn, admin)
    if info is None or info.role != "admin":
        raise InputError(f"{admin!r} is not an admin of this store")
    check_passphrase(passphrase)
    notice = opening.rebind_device(s.store)
    others = sorted(u for u in s.store.keyslots.users if u != admin)
    for u in others:
        del s.store.keyslots.users[u]
    s.role = "admin"
    with db.transaction(s.conn):     # one change: the slots voided and the admin's new key together
        s.log("store-rebound", None, {"device_binding": s.store.keyslots.device_binding, "slots_voided": others})
        replace_key(s, admin, passphrase)
    opening.save_keyslots(s.path, s.store.keyslots)
    return info, others, notice


def reauthenticate(s: Ctx, passphrase: str) -> bytes:
    """Check the user's passphrase again (before signing, or to leave the lock screen). Failures count
    towards the lockout and are logged. Returns the stretched passphrase (for the signing key)."""
    if s.user is None:
        raise AuthError("a recovery-code session has no passphrase to check")
    from ..keys.lockout import Lockout

    lockout = Lockout(s.path)
    lockout.check(s.user)
    if not passphrase:           # an empty entry is not an attempt: nothing counted, nothing logged
        raise AuthError("enter your passphrase")
    slots = s.store.keyslots
    opening.refresh_keyslots(s.conn, slots)       # another process may have re-wrapped or reset the slot
    stretched = slots.stretch(s.user, passphrase)
    if stretched is None or slots.open_user(s.user, stretched, s.store.device_secret) is None:
        lockout.record_failure(s.user, "reauth-failed")
        raise AuthError("wrong passphrase")
    for ev in lockout.record_success(s.user):
        with db.transaction(s.conn):
            auditlog.append(s.conn, ev["event"], user=ev["user"])
    return stretched


def key_on_card(s: Ctx, user: str | None = None) -> bool:
    """Does the user (default: the signed-in user) sign with a key on a PKCS#11 token (asked the card's
    PIN instead of the passphrase when signing)?"""
    name = user or s.user
    return name is not None and users_sql.token(s.conn, name) is not None
