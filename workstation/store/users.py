"""SQL for users and their signing keys."""

from __future__ import annotations

from ..canonical import utc_now
from ..keys import primitives as p
from ..model import UserInfo
from .db import Connection


def insert(conn: Connection, name: str, role: str, sk_wrap_key: bytes, *, created_by: str | None) -> bytes:
    """Create the user with a fresh ECDSA P-256 key pair; the private half wrapped under `sk_wrap_key`."""
    private, public = p.new_ecdsa_key()
    nonce, wrapped = p.wrap(private, sk_wrap_key, f"dws/signing-key|{name}".encode())
    now = utc_now()
    conn.execute("INSERT INTO users (name, role, public_key, sk_nonce, sk_wrapped, active, created_at, created_by) "
                 "VALUES (?, ?, ?, ?, ?, 1, ?, ?)", (name, role, public, nonce, wrapped, now, created_by))
    conn.execute("INSERT INTO user_keys (user, public_key, valid_from) VALUES (?, ?, ?)", (name, public, now))
    return public


def get(conn: Connection, name: str) -> UserInfo | None:
    row = conn.execute("SELECT name, role, public_key, active FROM users WHERE name = ?", (name,)).fetchone()
    if row is None:
        return None
    return UserInfo(row[0], row[1], p.fingerprint(row[2]), bool(row[3]))


def all_users(conn: Connection) -> list[UserInfo]:
    rows = conn.execute("SELECT name, role, public_key, active FROM users ORDER BY name").fetchall()
    return [UserInfo(r[0], r[1], p.fingerprint(r[2]), bool(r[3])) for r in rows]


def signing_key(conn: Connection, name: str, sk_wrap_key: bytes) -> bytes | None:
    row = conn.execute("SELECT sk_nonce, sk_wrapped FROM users WHERE name = ?", (name,)).fetchone()
    if row is None:
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
