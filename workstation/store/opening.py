"""Creating and unlocking a store folder: keyslots.json + store.db (+ lockout.json).

This is the only place that holds the raw data key, and only long enough to open the connection.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import checkpoint as cp
from .. import clock as clocks
from ..crypto import DEFAULT_MODE, Mode, rng, selftest, uses_argon2
from ..errors import AuthError, StoreError
from ..fsutil import remove_stale
from ..keys import ca, device, kdf
from ..keys import primitives as p
from ..keys.keyslots import Keyslots
from ..keys.lockout import Lockout
from ..settings import SettingValue
from . import auditlog, certificates, db, logtree, users

KEYSLOTS = "keyslots.json"
NO_KEYRING_NOTICE = ("notice: no OS keyring on this machine; the store is protected by passphrases alone "
                     "(not bound to this device)")


@dataclass
class OpenStore:
    path: Path
    conn: db.Connection
    keyslots: Keyslots
    user: str | None              # None after a recovery-code unlock
    data_key: bytes               # kept for enrolling users (a new keyslot wraps it)
    device_secret: bytes | None
    checkpoint_key: bytes | None = None   # the user's Ed25519 checkpoint key, unwrapped at unlock (None when
                                          # it is on their PKCS#11 token)

    def close(self) -> None:
        self.conn.close()


def is_store(path: Path) -> bool:
    return (path / KEYSLOTS).exists()


def _ready(crypto: Mode) -> None:
    """Before a store is created or opened: the known-answer self-tests of every primitive `crypto` uses (once
    per process), and no test-only KDF floor outside the test suite (keys/kdf.py). Raises StoreError."""
    selftest.ensure(argon2=uses_argon2(crypto))
    kdf.floor()


def create(path: Path, admin: str, passphrase: str, *, fixed: Mapping[str, SettingValue],
           crypto: Mode = DEFAULT_MODE, bind_device: bool = True) -> tuple[OpenStore, str, str | None]:
    """A new store with its first user (admin). Returns (store, recovery code, notice or None). `fixed`, here
    and in `unlock`: the settings the office policy fixes (the office CA is named after the office); `crypto`:
    the office policy's cryptography mode (which KDF new keyslots use; PBKDF2's count is calibrated here)."""
    _ready(crypto)
    if is_store(path) or (path / db.DB_NAME).exists():
        raise StoreError(f"{path} already holds a store; choose another --store folder")
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    store_id = rng.token_hex(16)
    notice = None
    secret = None
    if bind_device and device.backend_name() is not None:
        secret = device.create(store_id)
    else:
        notice = NO_KEYRING_NOTICE
    slots = Keyslots(store_id, device_binding=secret is not None)
    data_key = p.new_key()
    slot_kdf = slots.new_kdf(crypto)
    stretched = slots.set_user(admin, passphrase, data_key, secret, slot_kdf)
    code = p.new_recovery_code()
    slots.set_recovery(code, data_key, slot_kdf)
    conn = db.connect(path / db.DB_NAME, data_key, create=True)
    try:
        db.migrate(conn)
        with db.transaction(conn):
            conn.execute("INSERT INTO meta (key, value) VALUES ('store_id', ?)", (store_id,))
            public = users.insert(conn, admin, "admin", slots.signing_wrap_key(stretched, admin), created_by=None)
            auditlog.append(conn, "store-created", user=admin, obj=store_id,
                            detail={"device_binding": slots.device_binding, "schema": db.schema_version(conn),
                                    "keyslot_kdf": slot_kdf.describe()})
            auditlog.append(conn, "user-added", user=admin, obj=admin,
                            detail={"role": "admin", "fingerprint": p.fingerprint(public)})
            certificates.create_ca(conn, data_key, store_id, fixed=fixed, by=admin)
            certificates.issue(conn, data_key, store_id, admin, public, fixed=fixed, by=admin)
            checkpoint_key = enrol_checkpoint_key(conn, slots, admin, stretched, by=admin)
            stage_keyslots(conn, slots)
        slots.save(path / KEYSLOTS)
    except BaseException:
        conn.close()
        raise
    return (OpenStore(path, conn, slots, admin, data_key, secret, checkpoint_key),
            code, notice)


def enrol_checkpoint_key(conn: db.Connection, slots: Keyslots, user: str, stretched: bytes, *,
                         by: str | None) -> bytes:
    """A new checkpoint key for `user`, wrapped under their passphrase, its verifier key announced in the
    log (inside the caller's transaction). Returns the private key."""
    private, public = logtree.new_checkpoint_key(conn, user, slots.checkpoint_wrap_key(stretched, user))
    auditlog.append(conn, "checkpoint-key-enrolled", user=by, obj=user,
                    detail={"fingerprint": p.fingerprint(public),
                            "verifier_key": cp.verifier_key(cp.key_name(user, slots.store_id), public)})
    return private


def enrol_token_checkpoint_key(conn: db.Connection, store_id: str, user: str, public: bytes, label: str, *,
                               by: str | None) -> None:
    """The user's checkpoint key is the Ed25519 key `label` on their token: its verifier key announced in the
    log like any other (inside the caller's transaction)."""
    logtree.token_checkpoint_key(conn, user, public)
    auditlog.append(conn, "checkpoint-key-enrolled", user=by, obj=user,
                    detail={"fingerprint": p.fingerprint(public), "on_token": True, "key_label": label,
                            "verifier_key": cp.verifier_key(cp.key_name(user, store_id), public)})


def _checkpoint_key(conn: db.Connection, slots: Keyslots, user: str, stretched: bytes) -> bytes | None:
    """The user's checkpoint key; the first unlock after migration 0009 (or after a lost key) enrols one.
    None when it is on the user's token (signed there once the card's PIN opens it)."""
    active = logtree.active_checkpoint_key(conn, user)
    if active is not None and active[1]:
        return None
    key = logtree.checkpoint_private_key(conn, user, slots.checkpoint_wrap_key(stretched, user))
    return key if key is not None else enrol_checkpoint_key(conn, slots, user, stretched, by=user)


def _signing_key_forward(conn: db.Connection, slots: Keyslots, data_key: bytes, user: str, stretched: bytes,
                         fixed: Mapping[str, SettingValue]) -> None:
    """At unlock (inside its transaction), what stores older than schema 10 lack: the office CA; for a user
    whose signing key is still Ed25519 (which Acrobat does not verify in a PDF), a new ECDSA P-256 key, the old
    one kept in user_keys so that what it signed still verifies; and a certificate for the user's current key
    when they have none valid for a while yet. Each announced in the log."""
    certificates.ensure_ca(conn, data_key, slots.store_id, fixed=fixed, by=user)
    public = users.public_key(conn, user)
    if public is None:
        return
    if p.key_algorithm(public) == p.ED25519:
        old, public = public, users.replace_key(conn, user, slots.signing_wrap_key(stretched, user))
        auditlog.append(conn, "signing-key-replaced", user=user, obj=user,
                        detail={"fingerprint": p.fingerprint(public), "algorithm": p.ECDSA_P256,
                                "replaces": p.fingerprint(old)})
    if certificates.current(conn, user, public, valid_until=clocks.current().now() + ca.RENEW_BEFORE) is None:
        certificates.issue(conn, data_key, slots.store_id, user, public, fixed=fixed, by=user)


def rebind_device(store: OpenStore) -> str | None:
    """A new device secret for this machine (when it has a keyring). Returns a notice when it has none."""
    slots = store.keyslots
    slots.pbkdf2_iterations = None          # a new machine: the next PBKDF2 slot calibrates the count again
    if device.backend_name() is not None:
        store.device_secret = device.create(slots.store_id)
        slots.device_binding = True
        return None
    store.device_secret = None
    slots.device_binding = False
    return NO_KEYRING_NOTICE


def _device_secret(slots: Keyslots) -> bytes | None:
    if not slots.device_binding:
        return None
    secret = device.load(slots.store_id)
    if secret is None:
        raise StoreError("this store is bound to the machine it was created on, and this machine's keyring "
                         "does not hold its device secret; open it with the recovery code "
                         "('dws recover --admin NAME')")
    return secret


def unlock(path: Path, user: str, passphrase: str, *, fixed: Mapping[str, SettingValue], crypto: Mode = DEFAULT_MODE,
           clock: Callable[[], float] = time.time) -> OpenStore:
    """Open the store as `user`. Failures are counted (3 in 120 minutes lock the user out 15 minutes). A keyslot
    made with another KDF than `crypto` asks for is re-wrapped (`_plan_rewrap`)."""
    _ready(crypto)
    slots = Keyslots.load(path / KEYSLOTS)
    lockout = Lockout(path, clock=clock)
    lockout.check(user)
    if not passphrase:               # an empty entry (Enter pressed on an empty field) is not an attempt
        raise AuthError(f"enter the passphrase for {user!r}")
    secret = _device_secret(slots)
    stretched = slots.stretch(user, passphrase)
    data_key = slots.open_user(user, stretched, secret) if stretched is not None else None
    if data_key is None:
        if stretched is None:  # spend the same time on an unknown user as on a wrong passphrase
            slots.decoy_kdf(crypto).derive(passphrase.encode("utf-8"), b"\0" * 16)
        lockout.record_failure(user)
        raise AuthError(f"unknown user or wrong passphrase for {user!r}")
    assert stretched is not None            # the data key came out of it
    stale = slots.document()
    conn = _open_db(path, data_key, slots)
    if slots.document() != stale:
        # The file was one step behind the committed keyslots (a key change killed after its commit): the
        # passphrase must open the committed slot too, or a passphrase that change replaced (a reset, a
        # recover) would still open the store once.
        stretched = slots.stretch(user, passphrase)
        if stretched is None or slots.open_user(user, stretched, secret) != data_key:
            conn.close()
            lockout.record_failure(user)
            raise AuthError(f"unknown user or wrong passphrase for {user!r}")
    rewrap = None
    try:
        row = conn.execute("SELECT active FROM users WHERE name = ?", (user,)).fetchone()
        if row is None or not row[0]:
            raise AuthError(f"user {user!r} is not active in this store")
        rewrap = _plan_rewrap(slots, user, passphrase, stretched, data_key, secret, crypto)
        pending = lockout.record_success(user)
        with db.transaction(conn):
            for ev in pending:
                auditlog.append(conn, ev["event"], user=ev["user"], obj=None,
                                detail={"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ev["ts"]))})
            auditlog.append(conn, "unlock", user=user)
            if rewrap is not None:
                stretched = _rewrap(conn, slots, user, passphrase, data_key, secret, rewrap)
            checkpoint_key = _checkpoint_key(conn, slots, user, stretched)
            _signing_key_forward(conn, slots, data_key, user, stretched, fixed)
    except BaseException:
        conn.close()
        raise
    if rewrap is not None:
        save_keyslots(path, slots)
    return OpenStore(path, conn, slots, user, data_key, secret, checkpoint_key)


@dataclass(frozen=True, slots=True)
class _Rewrap:
    """A user's keyslot made again at unlock: the slot as it was and its KDF, the new KDF, both stretches."""

    original: dict[str, Any]
    before: kdf.SlotKdf
    after: kdf.SlotKdf
    old_stretched: bytes
    new_stretched: bytes


def _plan_rewrap(slots: Keyslots, user: str, passphrase: str, stretched: bytes, data_key: bytes,
                 secret: bytes | None, crypto: Mode) -> _Rewrap | None:
    """Before the unlock's transaction (the derivation is the slow part): when the user's slot was made with
    another KDF than `crypto` asks for (Argon2id, before approved algorithms were the default) or with fewer
    PBKDF2 iterations than the floor, a new slot in `slots` wrapping the same data key. None when it is current."""
    before = slots.user_kdf(user)
    if before is None or not kdf.outdated(before, crypto):
        return None
    original = dict(slots.users[user])
    after = slots.new_kdf(crypto)
    new = slots.set_user(user, passphrase, data_key, secret, after)
    return _Rewrap(original, before, after, stretched, new)


def _rewrap(conn: db.Connection, slots: Keyslots, user: str, passphrase: str, data_key: bytes,
            secret: bytes | None, plan: _Rewrap) -> bytes:
    """Inside the unlock's transaction: the user's signing key and checkpoint key re-wrapped under keys from
    the new slot's stretch (the same keys: what they signed still verifies), the change logged
    (`keyslot-rewrapped`) and the keyslots staged. Returns the stretch to use from now on. When another process
    changed this user's slot since this one read it (it re-wrapped it too, or an admin reset it), its slots are
    taken instead and nothing is re-wrapped here."""
    committed = _committed(conn)
    if committed is not None and committed.users.get(user) != plan.original:
        _adopt(slots, committed)
        stretched = slots.stretch(user, passphrase)
        if stretched is None or slots.open_user(user, stretched, secret) != data_key:
            raise AuthError(f"the keyslot of {user!r} was changed while the store was opening; try again")
        return stretched
    old, new = plan.old_stretched, plan.new_stretched
    users.rewrap_signing_key(conn, user, slots.signing_wrap_key(old, user), slots.signing_wrap_key(new, user))
    logtree.rewrap_checkpoint_key(conn, user, slots.checkpoint_wrap_key(old, user),
                                  slots.checkpoint_wrap_key(new, user))
    auditlog.append(conn, "keyslot-rewrapped", user=user, obj=user,
                    detail={"from": plan.before.describe(), "to": plan.after.describe()})
    stage_keyslots(conn, slots)
    return new


def unlock_recovery(path: Path, code: str, *, fixed: Mapping[str, SettingValue], crypto: Mode = DEFAULT_MODE,
                    clock: Callable[[], float] = time.time) -> OpenStore:
    """Open the store with the recovery code; a recovery slot made with another KDF than `crypto` asks for is
    made again (only the code can: a user's unlock leaves it as it is)."""
    _ready(crypto)
    slots = Keyslots.load(path / KEYSLOTS)
    lockout = Lockout(path, clock=clock)
    lockout.check("<recovery>")
    if not code.strip():
        raise AuthError("enter the recovery code")
    data_key = slots.open_recovery(code)
    if data_key is None:
        lockout.record_failure("<recovery>", "recovery-unlock-failed")
        raise AuthError("wrong recovery code")
    conn = _open_db(path, data_key, slots)
    try:
        before = slots.recovery_kdf()
        after = slots.new_kdf(crypto) if before is not None and kdf.outdated(before, crypto) else None
        if after is not None:
            slots.set_recovery(code, data_key, after)
        pending = lockout.record_success("<recovery>")
        with db.transaction(conn):
            for ev in pending:
                auditlog.append(conn, ev["event"], user=ev["user"], detail={})
            auditlog.append(conn, "recovery-unlock", user=None)
            if after is not None and before is not None:
                auditlog.append(conn, "keyslot-rewrapped", user=None, obj="recovery",
                                detail={"from": before.describe(), "to": after.describe()})
                stage_keyslots(conn, slots)
            certificates.ensure_ca(conn, data_key, slots.store_id, fixed=fixed, by=None)
    except BaseException:
        conn.close()
        raise
    if after is not None:
        save_keyslots(path, slots)
    return OpenStore(path, conn, slots, None, data_key, None)


def stage_keyslots(conn: db.Connection, slots: Keyslots) -> None:
    """Inside the transaction that changes a user's key: the keyslots as they must be once it commits.
    `keyslots.json` is written after the COMMIT (`save_keyslots`); a process killed between the two leaves
    the file one step behind, and the next unlock (with any slot the old file still holds: the data key
    never changes) brings it forward (`_roll_forward`). So the keyslots and the users table change together."""
    conn.execute("INSERT INTO meta (key, value) VALUES ('keyslots', ?) "
                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                 (json.dumps(slots.document(), sort_keys=True),))


def save_keyslots(path: Path, slots: Keyslots) -> None:
    slots.save(path / KEYSLOTS)


def _committed(conn: db.Connection) -> Keyslots | None:
    """The keyslots as the store's last key change committed them (None in a store older than that record)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'keyslots'").fetchone()
    return None if row is None else Keyslots.from_document(json.loads(row[0]))


def _adopt(slots: Keyslots, committed: Keyslots) -> None:
    slots.device_binding, slots.users, slots.recovery, slots.pbkdf2_iterations = (
        committed.device_binding, committed.users, committed.recovery, committed.pbkdf2_iterations)


def refresh_keyslots(conn: db.Connection, slots: Keyslots) -> None:
    """Take the committed keyslots when another process changed them since this one opened the store (a slot
    re-wrapped at its unlock, a user reset): asking for a passphrase again then checks the slot in force."""
    committed = _committed(conn)
    if committed is not None and committed.document() != slots.document():
        _adopt(slots, committed)


def _roll_forward(conn: db.Connection, path: Path, slots: Keyslots) -> None:
    committed = _committed(conn)
    if committed is not None and committed.document() != slots.document():
        committed.save(path / KEYSLOTS)
        _adopt(slots, committed)


def _open_db(path: Path, data_key: bytes, slots: Keyslots | None = None) -> db.Connection:
    conn = db.connect(path / db.DB_NAME, data_key)
    try:
        before = db.schema_version(conn)
        applied = db.migrate(conn)
        if applied:
            with db.transaction(conn):
                auditlog.append(conn, "schema-migrated", user=None, detail={"from": before, "to": applied[-1]})
        if slots is not None:
            _roll_forward(conn, path, slots)
            remove_stale(path / KEYSLOTS)
    except BaseException:
        conn.close()
        raise
    return conn
