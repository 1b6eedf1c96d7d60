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
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

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
    """CREATE FUNCTION dws.office_signing_keys_guard() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                RAISE EXCEPTION 'a signing key is kept as stored: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF NEW.login <> session_user AND NOT pg_has_role(session_user, {owner}, 'MEMBER')
               AND NOT EXISTS (SELECT 1 FROM dws.office_keyslots k
                               WHERE k.login = NEW.login AND k.enrolled_by = session_user) THEN
                RAISE EXCEPTION 'a signing key is stored by its user or by the admin who enrolled them: % may not '
                                'store one for %', session_user, NEW.login USING ERRCODE = 'insufficient_privilege';
            END IF;
            NEW.created_by := session_user;
            NEW.created_at := clock_timestamp();
            RETURN NEW;
        END $$""",
    "CREATE TRIGGER office_signing_keys_insert BEFORE INSERT ON dws.office_signing_keys FOR EACH ROW "
    "EXECUTE FUNCTION dws.office_signing_keys_guard()",
    "CREATE TRIGGER office_signing_keys_keep BEFORE UPDATE OR DELETE OR TRUNCATE ON dws.office_signing_keys "
    "FOR EACH STATEMENT EXECUTE FUNCTION dws.office_signing_keys_guard()",
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


def exists(conn: Conn) -> bool:
    """Whether the office has the table (an office made before signing keys has none)."""
    row = conn.execute("SELECT to_regclass('dws.office_signing_keys') IS NOT NULL").fetchone()
    return bool(row and row[0])


def put(conn: Conn, login: str, public_key: bytes, nonce: bytes, wrapped: bytes) -> None:
    conn.execute("INSERT INTO dws.office_signing_keys (login, public_key, nonce, wrapped) VALUES (%s, %s, %s, %s)",
                 (login, public_key, nonce, wrapped))


def mine(conn: Conn) -> tuple[bytes, bytes, bytes] | None:
    """(public key, nonce, wrapped private key) of the connected user's signing key, or None."""
    row = conn.execute("SELECT public_key, nonce, wrapped FROM dws.office_my_signing_key()").fetchone()
    if row is None:
        return None
    return bytes(row[0]), bytes(row[1]), bytes(row[2])


def public_key(conn: Conn, login: str) -> bytes | None:
    row = conn.execute("SELECT public_key FROM dws.office_signing_keys WHERE login = %s", (login,)).fetchone()
    return bytes(row[0]) if row else None


def public_keys(conn: Conn) -> dict[str, bytes]:
    return {str(login): bytes(key) for login, key in
            conn.execute("SELECT login, public_key FROM dws.office_signing_keys ORDER BY login").fetchall()}
