"""Users' keyslots on the office server, the keyslot reader and enrolment (workstation/office/credential.py
says what a slot holds and why).

- `dws.office_keyslots`: one row per user (login role, office role, the KDF as JSON, salt, nonce, wrapped
  bytes). Nobody reads the table directly but the admin group; the **keyslot reader** (`<prefix>_desk`, a
  login role the server admits by a desktop certificate alone, `cert` in pg_hba.conf, and which has no
  password) may only call `dws.office_keyslot(login)`, which returns that one user's slot: it cannot list
  the users.
- `dws.office_rewrap(...)`: a user replaces their own slot (a new passphrase; the same user secret, so the
  same database password): the row of `session_user`, nobody else's.
- `dws.office_enrol(...)`: creates a user's login role, a member of its office role's group, with the SCRAM
  verifier the desktop computed, and stores its keyslot. It runs as `<prefix>_enroller` (NOLOGIN,
  CREATEROLE), so an admin needs no CREATEROLE of their own: on PostgreSQL 15 that attribute would let them
  grant themselves the owner role and rewrite the log. Only the admin group (and a superuser at `office
  init`) may call it; it makes nothing but a plain login in one of the five groups.
- `dws.office_recovery`: the recovery keyslot (the office key under the recovery code `office init` prints
  once); read by the admin group only.
- `dws.office_ca`: the office CA (certificate, and its private key sealed under the office key on the
  desktop), read by the admin group to issue desktop certificates.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from .roles import OFFICE_ROLES, OfficeRole, OfficeRoles

Connection = psycopg.Connection[tuple[object, ...]]

_TABLES = (
    """CREATE TABLE dws.office_keyslots (
    login       name PRIMARY KEY,
    office_role text NOT NULL CHECK (office_role IN ({roles})),
    kdf         text NOT NULL,                   -- JSON: the passphrase KDF and its cost
    salt        bytea NOT NULL,
    nonce       bytea NOT NULL,
    wrapped     bytea NOT NULL,                  -- user secret || office key, AES-256-GCM
    enrolled_by name NOT NULL DEFAULT session_user,
    enrolled_at timestamptz NOT NULL DEFAULT clock_timestamp()
)""",
    """CREATE TABLE dws.office_ca (
    id          integer PRIMARY KEY CHECK (id = 1),
    certificate bytea NOT NULL,                  -- DER
    sealed_key  bytea NOT NULL                   -- PKCS#8 DER, sealed under the office key (office_ca, 1)
)""",
    """CREATE TABLE dws.office_recovery (
    id          integer PRIMARY KEY CHECK (id = 1),
    kdf         text NOT NULL,                   -- JSON: the recovery code's KDF and its cost
    salt        bytea NOT NULL,
    nonce       bytea NOT NULL,
    wrapped     bytea NOT NULL                   -- the office key, AES-256-GCM under the recovery code
)""",
)

_READ_SLOT = """
CREATE FUNCTION dws.office_keyslot(wanted name)
RETURNS TABLE (kdf text, salt bytea, nonce bytea, wrapped bytea)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT k.kdf, k.salt, k.nonce, k.wrapped FROM dws.office_keyslots k WHERE k.login = wanted $$"""

_REWRAP = """
CREATE FUNCTION dws.office_rewrap(kdf text, salt bytea, nonce bytea, wrapped bytea)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE dws.office_keyslots k SET kdf = office_rewrap.kdf, salt = office_rewrap.salt,
        nonce = office_rewrap.nonce, wrapped = office_rewrap.wrapped WHERE k.login = session_user;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no keyslot for this login' USING ERRCODE = 'no_data_found';
    END IF;
END
$$"""

_ENROL = """
CREATE FUNCTION dws.office_enrol(login text, office_role text, verifier text, kdf text, salt bytea, nonce bytea,
                                 wrapped bytea)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF login !~ '^[a-z][a-z0-9_.-]{{0,62}}$' OR login LIKE 'pg\\_%' OR login LIKE {prefix_like} THEN
        RAISE EXCEPTION 'not a login name an office may enrol' USING ERRCODE = 'invalid_name';
    END IF;
    IF office_role NOT IN ({roles}) THEN
        RAISE EXCEPTION 'no such office role' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF verifier !~ '^SCRAM-SHA-256\\$' THEN
        RAISE EXCEPTION 'a login takes a SCRAM-SHA-256 verifier' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('CREATE ROLE %I LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION '
                   'PASSWORD %L IN ROLE %I', login, verifier, {prefix} || '_' || office_role);
    INSERT INTO dws.office_keyslots (login, office_role, kdf, salt, nonce, wrapped, enrolled_by)
        VALUES (login, office_role, kdf, salt, nonce, wrapped, session_user);
END
$$"""


def desk_role(roles: OfficeRoles) -> str:
    """The keyslot reader: admitted by a desktop certificate alone, it may only read one named user's slot."""
    return f"{roles.prefix}_desk"


def enroller_role(roles: OfficeRoles) -> str:
    return f"{roles.prefix}_enroller"


def create(conn: Connection, roles: OfficeRoles) -> None:
    """The keyslot reader and enroller roles, the tables and the two functions (in the caller's transaction;
    after log.create made the schema; the caller is a superuser: `dws office init`)."""
    ident = sql.Identifier
    desk, enroller = desk_role(roles), enroller_role(roles)
    conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOINHERIT PASSWORD NULL").format(ident(desk)))
    conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN CREATEROLE").format(ident(enroller)))
    conn.execute(sql.SQL("GRANT {} TO {} WITH ADMIN OPTION").format(          # it adds logins to the groups
        sql.SQL(", ").join(map(ident, roles.groups())), ident(enroller)))
    conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(ident(conn.info.dbname), ident(desk)))
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA dws TO {}, {}").format(ident(desk), ident(enroller)))
    quoted = sql.SQL(", ").join(map(sql.Literal, OFFICE_ROLES))
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(ident(roles.owner)))
    for table in _TABLES:
        conn.execute(sql.SQL(table).format(roles=quoted))
    conn.execute(_READ_SLOT)
    conn.execute(_REWRAP)               # a user's own slot, under a new passphrase (session_user's row only)
    conn.execute("REVOKE ALL ON dws.office_keyslots, dws.office_ca, dws.office_recovery FROM PUBLIC")
    conn.execute("REVOKE ALL ON FUNCTION dws.office_keyslot(name) FROM PUBLIC")
    conn.execute(sql.SQL("GRANT EXECUTE ON FUNCTION dws.office_keyslot(name) TO {}").format(ident(desk)))
    conn.execute("REVOKE ALL ON FUNCTION dws.office_rewrap(text, bytea, bytea, bytea) FROM PUBLIC")
    conn.execute(sql.SQL("GRANT EXECUTE ON FUNCTION dws.office_rewrap(text, bytea, bytea, bytea) TO {}").format(
        sql.SQL(", ").join(map(ident, roles.groups()))))
    admin = ident(roles.group("admin"))
    conn.execute(sql.SQL("GRANT SELECT ON dws.office_keyslots, dws.office_ca, dws.office_recovery TO {}").format(
        admin))
    conn.execute(sql.SQL("GRANT INSERT ON dws.office_keyslots TO {}").format(ident(enroller)))
    conn.execute("RESET ROLE")
    conn.execute(sql.SQL(_ENROL).format(roles=quoted, prefix=sql.Literal(roles.prefix),
                                        prefix_like=sql.Literal(roles.prefix.replace("_", "\\_") + "\\_%")))
    conn.execute(sql.SQL("ALTER FUNCTION dws.office_enrol(text, text, text, text, bytea, bytea, bytea) "
                         "OWNER TO {}").format(ident(enroller)))
    conn.execute("REVOKE ALL ON FUNCTION dws.office_enrol(text, text, text, text, bytea, bytea, bytea) FROM PUBLIC")
    conn.execute(sql.SQL("GRANT EXECUTE ON FUNCTION dws.office_enrol(text, text, text, text, bytea, bytea, bytea) "
                         "TO {}").format(admin))


def drop_roles(conn: Connection, roles: OfficeRoles) -> None:
    """Drop the reader and the enroller (the office's database dropped first)."""
    for name in (desk_role(roles), enroller_role(roles)):
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def read_slot(conn: Connection, login: str) -> tuple[str, bytes, bytes, bytes] | None:
    """(kdf JSON, salt, nonce, wrapped) of `login`'s keyslot, or None (no such user); as the keyslot reader."""
    return _slot(conn.execute("SELECT kdf, salt, nonce, wrapped FROM dws.office_keyslot(%s)", (login,)).fetchone())


def _slot(row: tuple[object, ...] | None) -> tuple[str, bytes, bytes, bytes] | None:
    """A keyslot row (kdf, salt, nonce, wrapped), typed; None for no row."""
    if row is None:
        return None
    kdf, salt, nonce, wrapped = row
    assert isinstance(kdf, str)
    assert isinstance(salt, bytes) and isinstance(nonce, bytes) and isinstance(wrapped, bytes)
    return kdf, salt, nonce, wrapped


def scram_verifier(conn: Connection, login: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier of `password` for `login`, computed here by libpq (PQencryptPasswordConn):
    the server is sent the verifier, never the password."""
    return conn.pgconn.encrypt_password(password.encode("utf-8"), login.encode("utf-8"),
                                        b"scram-sha-256").decode("ascii")


def enrol(conn: Connection, login: str, role: OfficeRole, verifier: str, kdf_json: str, salt: bytes,
          nonce: bytes, wrapped: bytes) -> None:
    """Create the user's login role and store the keyslot (as an admin, or a superuser at init)."""
    conn.execute("SELECT dws.office_enrol(%s, %s, %s, %s, %s, %s, %s)",
                 (login, role, verifier, kdf_json, salt, nonce, wrapped))


def rewrap(conn: Connection, kdf_json: str, salt: bytes, nonce: bytes, wrapped: bytes) -> None:
    """Replace the connected user's own keyslot (a passphrase change); nobody else's."""
    conn.execute("SELECT dws.office_rewrap(%s, %s, %s, %s)", (kdf_json, salt, nonce, wrapped))


def user_exists(conn: Connection, login: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone() is not None


def put_ca(conn: Connection, certificate: bytes, sealed_key: bytes) -> None:
    """Store the office CA (as a superuser at init, or the owner)."""
    conn.execute("INSERT INTO dws.office_ca (id, certificate, sealed_key) VALUES (1, %s, %s)",
                 (certificate, sealed_key))


def read_ca(conn: Connection) -> tuple[bytes, bytes] | None:
    """(certificate DER, sealed private key) of the office CA, or None (none stored)."""
    row = conn.execute("SELECT certificate, sealed_key FROM dws.office_ca WHERE id = 1").fetchone()
    if row is None:
        return None
    certificate, sealed = row
    assert isinstance(certificate, bytes) and isinstance(sealed, bytes)
    return certificate, sealed


def put_recovery(conn: Connection, kdf_json: str, salt: bytes, nonce: bytes, wrapped: bytes) -> None:
    """Store the office's recovery keyslot (as a superuser at init)."""
    conn.execute("INSERT INTO dws.office_recovery (id, kdf, salt, nonce, wrapped) VALUES (1, %s, %s, %s, %s)",
                 (kdf_json, salt, nonce, wrapped))


def read_recovery(conn: Connection) -> tuple[str, bytes, bytes, bytes] | None:
    """(kdf JSON, salt, nonce, wrapped) of the recovery keyslot, or None; as an admin."""
    return _slot(conn.execute("SELECT kdf, salt, nonce, wrapped FROM dws.office_recovery WHERE id = 1").fetchone())
