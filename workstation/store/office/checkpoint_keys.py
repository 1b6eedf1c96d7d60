"""Users' checkpoint keys on the office server (issue 19, schema step 8): the Ed25519 key each office user signs the
office log's checkpoints with, as a local store's users have one (store/logtree.checkpoint_keys), so a checkpoint
says which user vouched for the log (office/log_key.py).

dws.office_checkpoint_keys, one row a key (a user may have several: a new one is made when theirs no longer opens,
after `office recover` gave them a new user secret; every one stays, so every checkpoint stays checkable):
    login       name    the user's login role (their keyslot's)
    public_key  bytea   plain, 32 bytes: what every checkpoint is checked against
    nonce       bytea   the private key wrapped with AES-256-GCM under a key derived from the user's secret, the
    wrapped     bytea   one in their keyslot (office/log_key.py): only their unlock opens it. Both NULL (schema step
                        10): the key is on the user's smart card, and the office holds its public key only
    created_by  name    set by the server: the login that stored it
    created_at  timestamptz

As dws.office_signing_keys: every office role reads the logins and public keys, never the wrapped private keys (a
user reads their own through `dws.office_my_checkpoint_keys()`); a key is stored by its user, by the admin who
enrolled them, or at `office init` by the server's administrator; nobody changes or removes one (a trigger refuses
it, to the owner as well). Each key is announced in the office log (`checkpoint-key-enrolled`), and a checkpoint is
checked only against a key both kept here and announced there.

Schema step 10 (`add_cards`) lets a row hold a key on a card: nonce and wrapped may then both be NULL (a row with one
and not the other is refused by a CHECK), and the key stays as registered as any other (the same trigger).
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from . import key_guard
from .roles import OfficeRoles

Conn = psycopg.Connection[Any]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS dws.office_checkpoint_keys (
        login      name NOT NULL,
        public_key bytea PRIMARY KEY CHECK (length(public_key) = 32),
        nonce      bytea NOT NULL CHECK (length(nonce) = 12),
        wrapped    bytea NOT NULL CHECK (length(wrapped) > 16),
        created_by name NOT NULL DEFAULT session_user,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )""",
    *key_guard.statements("office_checkpoint_keys", "checkpoint"),
    """CREATE OR REPLACE FUNCTION dws.office_my_checkpoint_keys()
        RETURNS TABLE (public_key bytea, nonce bytea, wrapped bytea)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
        AS $$ SELECT k.public_key, k.nonce, k.wrapped FROM dws.office_checkpoint_keys k WHERE k.login = session_user
              ORDER BY k.created_at DESC $$""",
)


def create(conn: Conn, roles: OfficeRoles) -> None:
    """The table, its triggers and grants (in the caller's transaction, after keyslots.create; a superuser).
    Idempotent (schema step 8)."""
    ident = sql.Identifier
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(ident(roles.owner)))
    for statement in _SCHEMA:
        conn.execute(sql.SQL(statement).format(owner=sql.Literal(roles.owner)))
    everyone = sql.SQL(", ").join(map(ident, roles.groups()))
    conn.execute("REVOKE ALL ON dws.office_checkpoint_keys FROM PUBLIC")
    conn.execute("REVOKE ALL ON FUNCTION dws.office_my_checkpoint_keys() FROM PUBLIC")
    conn.execute(sql.SQL("GRANT SELECT (login, public_key, created_by, created_at) ON dws.office_checkpoint_keys "
                         "TO {}").format(everyone))
    conn.execute(sql.SQL("GRANT EXECUTE ON FUNCTION dws.office_my_checkpoint_keys() TO {}").format(everyone))
    conn.execute(sql.SQL("GRANT INSERT (login, public_key, nonce, wrapped) ON dws.office_checkpoint_keys "
                         "TO {}").format(everyone))
    conn.execute("RESET ROLE")


_CARDS = (
    "ALTER TABLE dws.office_checkpoint_keys ALTER COLUMN nonce DROP NOT NULL, ALTER COLUMN wrapped DROP NOT NULL",
    "ALTER TABLE dws.office_checkpoint_keys DROP CONSTRAINT IF EXISTS office_checkpoint_keys_one_form",
    "ALTER TABLE dws.office_checkpoint_keys ADD CONSTRAINT office_checkpoint_keys_one_form "
    "CHECK ((nonce IS NULL) = (wrapped IS NULL))",
)


def add_cards(conn: Conn, roles: OfficeRoles) -> None:
    """Schema step 10: a checkpoint key on a card (its public key only: nonce and wrapped both NULL; one without the
    other refused). Idempotent, in the caller's transaction, as a superuser."""
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(roles.owner)))
    for statement in _CARDS:
        conn.execute(statement)
    conn.execute("RESET ROLE")


def has_cards(conn: Conn) -> bool:
    """Whether the office keeps checkpoint keys on cards (schema step 10)."""
    row = conn.execute("SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'office_checkpoint_keys_one_form' "
                       "AND conrelid = to_regclass('dws.office_checkpoint_keys'))").fetchone()
    return bool(row and row[0])


def exists(conn: Conn) -> bool:
    """Whether the office has the table (an office before schema step 8 has none: its one office key signs)."""
    row = conn.execute("SELECT to_regclass('dws.office_checkpoint_keys') IS NOT NULL").fetchone()
    return bool(row and row[0])


def put(conn: Conn, login: str, public_key: bytes, nonce: bytes | None, wrapped: bytes | None) -> None:
    """Store a key: wrapped (nonce and wrapped private key), or on a card (both None: schema step 10)."""
    conn.execute("INSERT INTO dws.office_checkpoint_keys (login, public_key, nonce, wrapped) VALUES (%s, %s, %s, %s)",
                 (login, public_key, nonce, wrapped))


def mine(conn: Conn) -> list[tuple[bytes, bytes | None, bytes | None]]:
    """(public key, nonce, wrapped private key) of each of the connected user's checkpoint keys, newest first (nonce
    and wrapped None: a key on their card)."""
    return [(bytes(a), None if b is None else bytes(b), None if c is None else bytes(c)) for a, b, c in
            conn.execute("SELECT public_key, nonce, wrapped FROM dws.office_my_checkpoint_keys()").fetchall()]


def holder(conn: Conn, public_key: bytes) -> str | None:
    """The login whose checkpoint key `public_key` is, if anyone's."""
    row = conn.execute("SELECT login FROM dws.office_checkpoint_keys WHERE public_key = %s", (public_key,)).fetchone()
    return str(row[0]) if row else None


def public_keys(conn: Conn) -> list[tuple[str, bytes]]:
    """(login, public key) of every user's checkpoint keys, oldest first."""
    return [(str(login), bytes(key)) for login, key in conn.execute(
        "SELECT login, public_key FROM dws.office_checkpoint_keys ORDER BY created_at, public_key").fetchall()]
