"""Recovering an office user with the office's recovery code (office/recovery.py has the flow): what the server
keeps and enforces for it.

- `dws.office_recovery_proof`: the SHA-256 of the recovery code's proof (office/credential.py: HKDF of the
  stretched code under its own label), written when the office is made. Nobody is granted it.
- `dws.office_recovery_slot()` and `dws.office_log_head()`: the recovery keyslot (wrapped under the code) and the
  office log's last (seq, hash), for the keyslot reader (`<prefix>_desk`, admitted by a desktop certificate
  alone), which reads no table itself.
- `dws.office_recover(...)`: as the keyslot reader, with the proof: a user's new keyslot, the SCRAM verifier of
  their new database password and the office log's entry for it, in one statement. The server refuses it unless
  the proof's SHA-256 is the office's, the user is one of the office's, and the log entry follows the last one
  (the append trigger's check). The entry's event and object are fixed here and its user is the session's
  login (the keyslot reader): the desktop computes only its hash.

Made by `create` (schema step 3, idempotent; schema.py) after keyslots.create; an office made before has none of it, and
`dws office recover` says so in one line.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from ...crypto.digest import sha256
from .keyslots import _slot, desk_role, enroller_role
from .roles import OfficeRoles

Conn = psycopg.Connection[tuple[object, ...]]
EVENT = "office-user-recovered"

_TABLE = """
CREATE TABLE IF NOT EXISTS dws.office_recovery_proof (
    id          integer PRIMARY KEY CHECK (id = 1),
    digest      bytea NOT NULL CHECK (length(digest) = 32)     -- SHA-256 of the recovery code's proof
)"""

_READ_RECOVERY = """
CREATE OR REPLACE FUNCTION dws.office_recovery_slot()
RETURNS TABLE (kdf text, salt bytea, nonce bytea, wrapped bytea)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT r.kdf, r.salt, r.nonce, r.wrapped FROM dws.office_recovery r WHERE r.id = 1 $$"""

_LOG_HEAD = """
CREATE OR REPLACE FUNCTION dws.office_log_head()
RETURNS TABLE (seq bigint, hash text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT l.seq, l.hash FROM dws.office_log l ORDER BY l.seq DESC LIMIT 1 $$"""

_RECOVER = """
CREATE OR REPLACE FUNCTION dws.office_recover(p_login text, p_proof bytea, p_verifier text, p_kdf text,
                                   p_salt bytea, p_nonce bytea, p_wrapped bytea, p_seq bigint, p_ts text, p_detail text,
                                   p_prev_hash text, p_hash text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    wanted bytea;
BEGIN
    SELECT r.digest INTO wanted FROM dws.office_recovery_proof r WHERE r.id = 1;
    IF wanted IS NULL OR p_proof IS NULL OR sha256(p_proof) IS DISTINCT FROM wanted THEN
        RAISE EXCEPTION 'not this office''s recovery code' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_verifier !~ '^SCRAM-SHA-256\\$' THEN
        RAISE EXCEPTION 'a login takes a SCRAM-SHA-256 verifier' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE dws.office_keyslots k SET kdf = p_kdf, salt = p_salt, nonce = p_nonce, wrapped = p_wrapped
        WHERE k.login = p_login;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such office user' USING ERRCODE = 'no_data_found';
    END IF;
    EXECUTE format('ALTER ROLE %I PASSWORD %L', p_login, p_verifier);
    INSERT INTO dws.office_log (seq, ts, user_name, event, object, detail, prev_hash, hash)
        VALUES (p_seq, p_ts, session_user::text, {event}, p_login, p_detail, p_prev_hash, p_hash);
END
$$"""

_RECOVER_ARGS = "text, bytea, text, text, bytea, bytea, bytea, bigint, text, text, text, text"


def create(conn: Conn, roles: OfficeRoles) -> None:
    """The proof table and the three functions, with their grants (in the caller's transaction, as a superuser,
    after keyslots.create)."""
    ident = sql.Identifier
    desk, enroller = ident(desk_role(roles)), ident(enroller_role(roles))
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(ident(roles.owner)))
    conn.execute(_TABLE)
    conn.execute(_READ_RECOVERY)
    conn.execute(_LOG_HEAD)
    conn.execute("REVOKE ALL ON dws.office_recovery_proof FROM PUBLIC")
    conn.execute("REVOKE ALL ON FUNCTION dws.office_recovery_slot(), dws.office_log_head() FROM PUBLIC")
    conn.execute(sql.SQL("GRANT EXECUTE ON FUNCTION dws.office_recovery_slot(), dws.office_log_head() TO {}")
                 .format(desk))
    conn.execute("RESET ROLE")
    # the enroller (who may change a login's password: CREATEROLE) runs the recovery; nobody logs in as it
    conn.execute(sql.SQL("GRANT SELECT ON dws.office_recovery_proof TO {}").format(enroller))
    conn.execute(sql.SQL("GRANT UPDATE (kdf, salt, nonce, wrapped) ON dws.office_keyslots TO {}").format(enroller))
    conn.execute(sql.SQL("GRANT SELECT (login) ON dws.office_keyslots TO {}").format(enroller))
    conn.execute(sql.SQL("GRANT INSERT ON dws.office_log TO {}").format(enroller))
    conn.execute(sql.SQL(_RECOVER).format(event=sql.Literal(EVENT)))
    conn.execute(sql.SQL(f"ALTER FUNCTION dws.office_recover({_RECOVER_ARGS}) OWNER TO {{}}").format(enroller))
    conn.execute(f"REVOKE ALL ON FUNCTION dws.office_recover({_RECOVER_ARGS}) FROM PUBLIC")
    conn.execute(sql.SQL(f"GRANT EXECUTE ON FUNCTION dws.office_recover({_RECOVER_ARGS}) TO {{}}").format(desk))


def put_proof(conn: Conn, proof: bytes) -> None:
    """Keep the SHA-256 of the recovery code's proof (as a superuser, when the office is made)."""
    conn.execute("INSERT INTO dws.office_recovery_proof (id, digest) VALUES (1, %s)", (sha256(proof),))


def read_recovery_slot(conn: Conn) -> tuple[str, bytes, bytes, bytes] | None:
    """(kdf JSON, salt, nonce, wrapped) of the recovery keyslot, as the keyslot reader; None when there is none."""
    return _slot(conn.execute("SELECT kdf, salt, nonce, wrapped FROM dws.office_recovery_slot()").fetchone())


def log_head(conn: Conn) -> tuple[int, str] | None:
    """(seq, hash) of the office log's last entry, as the keyslot reader; None for an empty log."""
    row = conn.execute("SELECT seq, hash FROM dws.office_log_head()").fetchone()
    if row is None:
        return None
    seq, last = row
    assert isinstance(seq, int) and isinstance(last, str)
    return seq, last


def recover(conn: Conn, login: str, proof: bytes, verifier: str, slot: tuple[str, bytes, bytes, bytes],
            entry: tuple[int, str, str, str, str]) -> None:
    """`login`'s new keyslot (kdf JSON, salt, nonce, wrapped) and database verifier, and the log entry (seq, ts,
    detail JSON, prev_hash, hash), as the keyslot reader with the recovery proof."""
    conn.execute(f"SELECT dws.office_recover({', '.join(['%s'] * 12)})",
                 (login, proof, verifier, *slot, *entry))
