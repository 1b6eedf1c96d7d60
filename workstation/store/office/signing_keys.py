"""Users' signing keys on the office server (issue 19, i19d): the key a user signs decisions, approvals and letters
with, as the local store's users have one (store/users.py: ECDSA P-256, the same documents and signatures).

dws.office_signing_keys, one row a user:
    login       name    the user's login role (their keyslot's)
    public_key  bytea   plain: SubjectPublicKeyInfo DER, what every signature is checked against
    nonce       bytea   the private key (PKCS#8 DER) wrapped with AES-256-GCM under a key derived from the
    wrapped     bytea   user's secret, the one in their keyslot (office/signing_key.py): only their unlock opens it
    created_by  name    set by the server: the login that stored it
    created_at  timestamptz

- Every office role reads the logins and public keys (column grants: a signature is checked by anyone), never
  the wrapped private keys of others: a user reads their own through `dws.office_my_signing_key()`.
- A key is stored by the admin who enrols the user (`dws office enrol --user`, in the enrolment's transaction:
  the admin who made the user's keyslot, `office_keyslots.enrolled_by`, and nobody else), by the user for
  themselves, or at `office init` by the server's administrator. Nobody changes or removes one (a trigger
  refuses it, to the owner as well): a signature made with it must stay checkable.

Keys on a card (schema step 9, `add_cards`): a user enrolled with `dws office enrol --user NAME --pkcs11-module ...`
has the card's public key here and no private key at all (nonce and wrapped NULL): the column `token` names where
it is (keys/pkcs11.TokenRef's JSON: the PKCS#11 module, token and key labels; nothing secret). A row is one or the
other (a CHECK). The same triggers keep it as stored.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from . import key_guard
from .roles import OfficeRoles

Conn = psycopg.Connection[Any]

_SCHEMA = (
    """CREATE TABLE dws.office_signing_keys (
        login      name PRIMARY KEY,
        public_key bytea NOT NULL UNIQUE CHECK (length(public_key) BETWEEN 32 AND 200),
        nonce      bytea NOT NULL CHECK (length(nonce) = 12),
        wrapped    bytea NOT NULL CHECK (length(wrapped) > 16),
        created_by name NOT NULL DEFAULT session_user,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )""",
    *key_guard.statements("office_signing_keys", "signing"),
    """CREATE FUNCTION dws.office_my_signing_key() RETURNS TABLE (public_key bytea, nonce bytea, wrapped bytea)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
        AS $$ SELECT k.public_key, k.nonce, k.wrapped FROM dws.office_signing_keys k WHERE k.login = session_user $$""",
)


def create(conn: Conn, roles: OfficeRoles) -> None:
    """The table, its triggers and grants (in the caller's transaction, after keyslots.create; a superuser)."""
    ident = sql.Identifier
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(ident(roles.owner)))
    for statement in _SCHEMA:
        conn.execute(sql.SQL(statement).format(owner=sql.Literal(roles.owner)))
    everyone = sql.SQL(", ").join(map(ident, roles.groups()))
    conn.execute("REVOKE ALL ON dws.office_signing_keys FROM PUBLIC")
    conn.execute("REVOKE ALL ON FUNCTION dws.office_my_signing_key() FROM PUBLIC")
    conn.execute(sql.SQL("GRANT SELECT (login, public_key, created_by, created_at) ON dws.office_signing_keys "
                         "TO {}").format(everyone))
    conn.execute(sql.SQL("GRANT EXECUTE ON FUNCTION dws.office_my_signing_key() TO {}").format(everyone))
    conn.execute(sql.SQL("GRANT INSERT (login, public_key, nonce, wrapped) ON dws.office_signing_keys TO {}").format(
        everyone))
    conn.execute("RESET ROLE")


_CARDS = (
    "ALTER TABLE dws.office_signing_keys ADD COLUMN IF NOT EXISTS token text "
    "CHECK (token IS NULL OR length(token) BETWEEN 2 AND 2000)",
    "ALTER TABLE dws.office_signing_keys ALTER COLUMN nonce DROP NOT NULL",
    "ALTER TABLE dws.office_signing_keys ALTER COLUMN wrapped DROP NOT NULL",
    "ALTER TABLE dws.office_signing_keys DROP CONSTRAINT IF EXISTS office_signing_keys_one_kind",
    "ALTER TABLE dws.office_signing_keys ADD CONSTRAINT office_signing_keys_one_kind CHECK "
    "((token IS NULL AND nonce IS NOT NULL AND wrapped IS NOT NULL) "
    "OR (token IS NOT NULL AND nonce IS NULL AND wrapped IS NULL))",
)


def add_cards(conn: Conn, roles: OfficeRoles) -> None:
    """Schema step 9: a signing key may be on a card (its public key and where it is, no private key); every role
    reads where a user's key is, and stores it as it stores a key (the insert trigger checks who)."""
    ident = sql.Identifier
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(ident(roles.owner)))
    for statement in _CARDS:
        conn.execute(statement)
    everyone = sql.SQL(", ").join(map(ident, roles.groups()))
    conn.execute(sql.SQL("GRANT SELECT (token), INSERT (token) ON dws.office_signing_keys TO {}").format(everyone))
    conn.execute("RESET ROLE")


def has_cards(conn: Conn) -> bool:
    """Whether the office has schema step 9 (keys on cards)."""
    row = conn.execute("SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'dws' "
                       "AND table_name = 'office_signing_keys' AND column_name = 'token')").fetchone()
    return bool(row and row[0])


def exists(conn: Conn) -> bool:
    """Whether the office has the table (an office made before signing keys has none)."""
    row = conn.execute("SELECT to_regclass('dws.office_signing_keys') IS NOT NULL").fetchone()
    return bool(row and row[0])


def put(conn: Conn, login: str, public_key: bytes, nonce: bytes, wrapped: bytes) -> None:
    conn.execute("INSERT INTO dws.office_signing_keys (login, public_key, nonce, wrapped) VALUES (%s, %s, %s, %s)",
                 (login, public_key, nonce, wrapped))


def put_card(conn: Conn, login: str, public_key: bytes, token: str) -> None:
    """`login`'s key on a card: its public key and where it is (no private key reaches the server)."""
    conn.execute("INSERT INTO dws.office_signing_keys (login, public_key, token) VALUES (%s, %s, %s)",
                 (login, public_key, token))


def token(conn: Conn, login: str) -> str | None:
    """Where `login`'s key is when it is on a card (TokenRef JSON), else None (a key in the office, none, or an
    office before step 9)."""
    if not has_cards(conn):
        return None
    row = conn.execute("SELECT token FROM dws.office_signing_keys WHERE login = %s", (login,)).fetchone()
    return str(row[0]) if row and row[0] is not None else None


def tokens(conn: Conn) -> dict[str, str]:
    """login -> where their key is (TokenRef JSON), for every user whose key is on a card."""
    if not has_cards(conn):
        return {}
    return {str(login): str(token) for login, token in
            conn.execute("SELECT login, token FROM dws.office_signing_keys WHERE token IS NOT NULL").fetchall()}


def user_with_key(conn: Conn, public_key: bytes) -> str | None:
    row = conn.execute("SELECT login FROM dws.office_signing_keys WHERE public_key = %s", (public_key,)).fetchone()
    return str(row[0]) if row else None


def mine(conn: Conn) -> tuple[bytes, bytes, bytes] | None:
    """(public key, nonce, wrapped private key) of the connected user's signing key, or None."""
    row = conn.execute("SELECT public_key, nonce, wrapped FROM dws.office_my_signing_key()").fetchone()
    if row is None or row[1] is None or row[2] is None:         # none, or a key on a card
        return None
    return bytes(row[0]), bytes(row[1]), bytes(row[2])


def public_key(conn: Conn, login: str) -> bytes | None:
    row = conn.execute("SELECT public_key FROM dws.office_signing_keys WHERE login = %s", (login,)).fetchone()
    return bytes(row[0]) if row else None


def public_keys(conn: Conn) -> dict[str, bytes]:
    return {str(login): bytes(key) for login, key in
            conn.execute("SELECT login, public_key FROM dws.office_signing_keys ORDER BY login").fetchall()}
