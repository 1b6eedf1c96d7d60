"""The office's letter-signing CA and its users' signing certificates on the server (issue 19, i19d): what a letter's
PDF signature (PAdES) chains to, as the local store's office CA (store/certificates.py). Not the office's TLS CA
(keyslots.dws.office_ca), which admits desktops and must never sign letters.

dws.office_letter_ca, one row: the CA's certificate (DER, plain: recipients are given it) and its private key
    sealed on the desktop under the office key (table "office_letter_ca", row 1). Made by the first preparer or
    approver who issues a letter, once; nobody changes or removes it.
dws.office_user_certificates, one row a certificate: serial, login, public key, certificate (DER), validity, all
    plain (a certificate is public). The server takes one only for the session's own login and its registered
    signing key; nobody changes or removes one.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from .roles import OfficeRoles

Conn = psycopg.Connection[Any]

CA_TABLE = "office_letter_ca"
MAKERS = ("preparer", "approver")

_SCHEMA = (
    """CREATE TABLE dws.office_letter_ca (
        id          integer PRIMARY KEY CHECK (id = 1),
        certificate bytea NOT NULL,
        sealed_key  bytea NOT NULL CHECK (length(sealed_key) > 28),
        created_by  name NOT NULL DEFAULT session_user,
        created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
    )""",
    """CREATE TABLE dws.office_user_certificates (
        serial      text COLLATE "C" PRIMARY KEY CHECK (serial ~ '^[0-9a-f]+$'),
        login       name NOT NULL,
        public_key  bytea NOT NULL,
        certificate bytea NOT NULL,
        not_before  text NOT NULL,
        not_after   text NOT NULL,
        issued_by   name NOT NULL DEFAULT session_user,
        issued_at   timestamptz NOT NULL DEFAULT clock_timestamp()
    )""",
    "CREATE INDEX office_user_certificates_login ON dws.office_user_certificates (login, public_key)",
    """CREATE FUNCTION dws.letter_certs_guard() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                RAISE EXCEPTION '% is kept as issued: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF TG_TABLE_NAME = 'office_user_certificates' THEN     -- (NEW has no login in the other table)
                IF NOT pg_has_role(session_user, {owner}, 'MEMBER')
                   AND (NEW.login <> session_user OR NOT EXISTS (
                        SELECT 1 FROM dws.office_signing_keys k
                        WHERE k.login = session_user AND k.public_key = NEW.public_key)) THEN
                    RAISE EXCEPTION 'a signing certificate is stored by its user, for their own registered key'
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
            END IF;
            IF TG_TABLE_NAME = 'office_letter_ca' THEN
                NEW.created_by := session_user;
                NEW.created_at := clock_timestamp();
            ELSE
                NEW.issued_by := session_user;
                NEW.issued_at := clock_timestamp();
            END IF;
            RETURN NEW;
        END $$""",
    *(f"CREATE TRIGGER {t}_insert BEFORE INSERT ON dws.{t} FOR EACH ROW EXECUTE FUNCTION dws.letter_certs_guard()"
      for t in ("office_letter_ca", "office_user_certificates")),
    *(f"CREATE TRIGGER {t}_keep BEFORE UPDATE OR DELETE OR TRUNCATE ON dws.{t} FOR EACH STATEMENT "
      "EXECUTE FUNCTION dws.letter_certs_guard()" for t in ("office_letter_ca", "office_user_certificates")),
)


def create(conn: Conn, roles: OfficeRoles) -> None:
    """Both tables, their triggers and grants (in the caller's transaction, after signing_keys.create)."""
    ident = sql.Identifier
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(ident(roles.owner)))
    for statement in _SCHEMA:
        conn.execute(sql.SQL(statement).format(owner=sql.Literal(roles.owner)) if "$$" in statement else statement)
    everyone = sql.SQL(", ").join(map(ident, roles.groups()))
    makers = sql.SQL(", ").join(ident(roles.group(r)) for r in MAKERS)
    conn.execute("REVOKE ALL ON dws.office_letter_ca, dws.office_user_certificates FROM PUBLIC")
    conn.execute(sql.SQL("GRANT SELECT ON dws.office_letter_ca, dws.office_user_certificates TO {}").format(everyone))
    conn.execute(sql.SQL("GRANT INSERT (id, certificate, sealed_key) ON dws.office_letter_ca TO {}").format(makers))
    conn.execute(sql.SQL("GRANT INSERT (serial, login, public_key, certificate, not_before, not_after) ON "
                         "dws.office_user_certificates TO {}").format(makers))
    conn.execute("RESET ROLE")


def read_ca(conn: Conn) -> tuple[bytes, bytes] | None:
    """(certificate DER, sealed private key) of the letter-signing CA, or None before one was made."""
    row = conn.execute("SELECT certificate, sealed_key FROM dws.office_letter_ca WHERE id = 1").fetchone()
    return (bytes(row[0]), bytes(row[1])) if row else None


def put_ca(conn: Conn, certificate: bytes, sealed_key: bytes) -> bool:
    """Store the CA unless one is there already (made meanwhile on another desktop); whether this one was."""
    row = conn.execute("INSERT INTO dws.office_letter_ca (id, certificate, sealed_key) VALUES (1, %s, %s) "
                       "ON CONFLICT (id) DO NOTHING RETURNING id", (certificate, sealed_key)).fetchone()
    return row is not None


def certificate_for(conn: Conn, login: str, public_key: bytes, now: str) -> tuple[str, bytes] | None:
    """(serial, certificate DER) of the newest certificate of this login and key still valid at `now` (ISO)."""
    row = conn.execute("SELECT serial, certificate FROM dws.office_user_certificates WHERE login = %s AND "
                       "public_key = %s AND not_after > %s ORDER BY not_after DESC LIMIT 1",
                       (login, public_key, now)).fetchone()
    return (str(row[0]), bytes(row[1])) if row else None


def put_certificate(conn: Conn, serial: str, login: str, public_key: bytes, certificate: bytes, not_before: str,
                    not_after: str) -> None:
    conn.execute("INSERT INTO dws.office_user_certificates (serial, login, public_key, certificate, not_before, "
                 "not_after) VALUES (%s, %s, %s, %s, %s, %s)",
                 (serial, login, public_key, certificate, not_before, not_after))


def by_serial(conn: Conn, serial: str) -> tuple[str, bytes] | None:
    """(login, certificate DER) of a certificate."""
    row = conn.execute("SELECT login, certificate FROM dws.office_user_certificates WHERE serial = %s",
                       (serial,)).fetchone()
    return (str(row[0]), bytes(row[1])) if row else None
