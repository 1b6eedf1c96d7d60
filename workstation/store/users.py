"""SQL for users and their signing keys."""

from __future__ import annotations

import json

from ..canonical import utc_now
from ..keys import primitives as p
from ..model import UserInfo
from .db import Connection, Row


def insert(conn: Connection, name: str, role: str, sk_wrap_key: bytes, *, created_by: str | None) -> bytes:
    """Create the user with a fresh ECDSA P-256 key pair; the private half wrapped under `sk_wrap_key`."""
    private, public = p.new_ecdsa_key()
    nonce, wrapped = p.wrap(private, sk_wrap_key, f"dws/signing-key|{name}".encode())
    now = utc_now()
    conn.execute("INSERT INTO users (name, role, public_key, sk_nonce, sk_wrapped, active, created_at, created_by) "
                 "VALUES (?, ?, ?, ?, ?, 1, ?, ?)", (name, role, public, nonce, wrapped, now, created_by))
    conn.execute("INSERT INTO user_keys (user, public_key, valid_from) VALUES (?, ?, ?)", (name, public, now))
    return public


def insert_token_user(conn: Connection, name: str, role: str, public: bytes, token: str, *,
                      created_by: str | None) -> None:
    """Create a user whose signing key is on a PKCS#11 token: `token` is the JSON reference (module, token and
    key labels), `public` the token key's SubjectPublicKeyInfo; no private key is kept (empty wrapped blobs)."""
    now = utc_now()
    conn.execute("INSERT INTO users (name, role, public_key, sk_nonce, sk_wrapped, active, created_at, created_by, "
                 "token) VALUES (?, ?, ?, x'', x'', 1, ?, ?, ?)", (name, role, public, now, created_by, token))
    conn.execute("INSERT INTO user_keys (user, public_key, valid_from) VALUES (?, ?, ?)", (name, public, now))


def _info(row: Row) -> UserInfo:
    label = None
    if row[4]:
        label = str(json.loads(row[4]).get("token_label", ""))
    return UserInfo(row[0], row[1], p.fingerprint(row[2]), bool(row[3]), label)


def get(conn: Connection, name: str) -> UserInfo | None:
    row = conn.execute("SELECT name, role, public_key, active, token FROM users WHERE name = ?", (name,)).fetchone()
    return None if row is None else _info(row)


def all_users(conn: Connection) -> list[UserInfo]:
    rows = conn.execute("SELECT name, role, public_key, active, token FROM users ORDER BY name").fetchall()
    return [_info(r) for r in rows]


def token(conn: Connection, name: str) -> str | None:
    """The user's token reference (JSON), or None when their signing key is in their keyslot."""
    row = conn.execute("SELECT token FROM users WHERE name = ?", (name,)).fetchone()
    return row[0] if row else None


def user_with_key(conn: Connection, public: bytes) -> str | None:
    """The user any of whose keys, now or before, is `public` (one key signs for one person only)."""
    row = conn.execute("SELECT user FROM user_keys WHERE public_key = ? LIMIT 1", (public,)).fetchone()
    return row[0] if row else None


def signing_key(conn: Connection, name: str, sk_wrap_key: bytes) -> bytes | None:
    row = conn.execute("SELECT sk_nonce, sk_wrapped FROM users WHERE name = ?", (name,)).fetchone()
    if row is None or not row[1]:           # no user, or a key on a token
        return None
    return p.unwrap(row[0], row[1], sk_wrap_key, f"dws/signing-key|{name}".encode())


def public_key(conn: Connection, name: str) -> bytes | None:
    row = conn.execute("SELECT public_key FROM users WHERE name = ?", (name,)).fetchone()
    return row[0] if row else None


def replace_key(conn: Connection, name: str, sk_wrap_key: bytes) -> bytes:
    """A new ECDSA P-256 key pair for `name` (after a passphrase reset); old public keys stay in user_keys so
    the user's earlier signatures still verify."""
    private, public = p.new_ecdsa_key()
    nonce, wrapped = p.wrap(private, sk_wrap_key, f"dws/signing-key|{name}".encode())
    conn.execute("UPDATE users SET public_key = ?, sk_nonce = ?, sk_wrapped = ? WHERE name = ?",
                 (public, nonce, wrapped, name))
    conn.execute("INSERT INTO user_keys (user, public_key, valid_from) VALUES (?, ?, ?)", (name, public, utc_now()))
    return public


def rewrap_signing_key(conn: Connection, name: str, old_wrap_key: bytes, new_wrap_key: bytes) -> bool:
    """The user's signing key (the same key) wrapped under `new_wrap_key` instead (their keyslot was made
    again). False when there is none here to re-wrap (a key on a token) or `old_wrap_key` does not open it."""
    private = signing_key(conn, name, old_wrap_key)
    if private is None:
        return False
    nonce, wrapped = p.wrap(private, new_wrap_key, f"dws/signing-key|{name}".encode())
    conn.execute("UPDATE users SET sk_nonce = ?, sk_wrapped = ? WHERE name = ?", (nonce, wrapped, name))
    return True
