"""The office's settings and its users' display preferences on the server (issue 19, i19o).

dws.settings, one row a setting the office changed from its default (workstation/settings.py DEFAULTS; a missing
key is the default, as in a local store):
    key         text     plain: the setting's name
    sealed      bytea    the value (JSON) sealed on the desktop under the office key, table "settings" and the key
                         in the associated data: a server that changes a rule threshold or the office details a
                         letter prints makes a value that does not open (a setting is no taxpayer value, and the
                         office log carries each change in clear, as the local audit log does)
    changed_by  name     set by the server: the login that wrote it last
    changed_at  timestamptz

Who may write which setting is the local store's rule (service/settings_view.py), enforced by the server itself
(grants, row-level security and a trigger, to the owner too): the rule thresholds (settings.COUNSEL_SETTINGS)
counsel alone, every other setting counsel or an admin; nobody deletes one; every office role reads them.

dws.user_preferences, one row a user's display preference (service/preferences.py: `high_contrast`), kept per
login: each login reads and writes its own rows only (row-level security on session_user), and no other role
sees them. A preference decides nothing, so it is neither sealed nor logged, as locally.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from ...settings import COUNSEL_SETTINGS
from .roles import OfficeRoles

Conn = psycopg.Connection[Any]

TABLE = "settings"
WRITERS = ("counsel", "admin")

_SCHEMA = (
    """CREATE TABLE dws.settings (
        key        text COLLATE "C" PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]{0,63}$'),
        sealed     bytea NOT NULL CHECK (length(sealed) > 28),
        changed_by name NOT NULL DEFAULT session_user,
        changed_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )""",
    """CREATE FUNCTION dws.settings_guard() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
        AS $$
        BEGIN
            IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
                RAISE EXCEPTION 'settings are kept (a setting goes back to its default by being set to it): % refused',
                    TG_OP USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF NEW.key = ANY ({counsel_keys}) THEN
                IF NOT pg_has_role(session_user, {counsel}, 'MEMBER') THEN
                    RAISE EXCEPTION 'only counsel may change the rule threshold %', NEW.key
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
            ELSIF NOT (pg_has_role(session_user, {counsel}, 'MEMBER') OR pg_has_role(session_user, {admin}, 'MEMBER'))
            THEN
                RAISE EXCEPTION 'only an admin or counsel may change settings (% is neither)', session_user
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            NEW.changed_by := session_user;
            NEW.changed_at := clock_timestamp();
            RETURN NEW;
        END $$""",
    "CREATE TRIGGER settings_write BEFORE INSERT OR UPDATE ON dws.settings FOR EACH ROW "
    "EXECUTE FUNCTION dws.settings_guard()",
    "CREATE TRIGGER settings_keep BEFORE DELETE OR TRUNCATE ON dws.settings FOR EACH STATEMENT "
    "EXECUTE FUNCTION dws.settings_guard()",
    "ALTER TABLE dws.settings ENABLE ROW LEVEL SECURITY",
    """CREATE TABLE dws.user_preferences (
        login      name NOT NULL DEFAULT session_user,
        key        text COLLATE "C" NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,63}$'),
        value      text NOT NULL CHECK (length(value) <= 1000),
        changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (login, key)
    )""",
    "ALTER TABLE dws.user_preferences ENABLE ROW LEVEL SECURITY",
)


def create(conn: Conn, roles: OfficeRoles) -> None:
    """Both tables with their grants, row-level security and trigger (in the caller's transaction). The caller is
    a superuser."""
    ident = sql.Identifier
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(ident(roles.owner)))
    keys = "ARRAY[" + ", ".join(f"'{k}'" for k in sorted(COUNSEL_SETTINGS)) + "]::text[]"   # names: [a-z_]
    for statement in _SCHEMA:           # (a group's name is letters, digits and _: roles.OfficeRoles)
        conn.execute(statement.replace("{counsel_keys}", keys).replace("{counsel}", f"'{roles.group('counsel')}'")
                     .replace("{admin}", f"'{roles.group('admin')}'"))
    conn.execute("REVOKE ALL ON dws.settings, dws.user_preferences FROM PUBLIC")
    everyone = sql.SQL(", ").join(map(ident, roles.groups()))
    writers = sql.SQL(", ").join(ident(roles.group(r)) for r in WRITERS)
    conn.execute(sql.SQL("GRANT SELECT ON dws.settings TO {}").format(everyone))
    conn.execute(sql.SQL("GRANT INSERT, UPDATE ON dws.settings TO {}").format(writers))
    conn.execute(sql.SQL("CREATE POLICY settings_read ON dws.settings FOR SELECT TO {} USING (true)").format(everyone))
    conn.execute(sql.SQL("CREATE POLICY settings_insert ON dws.settings FOR INSERT TO {} "
                         "WITH CHECK (changed_by = session_user)").format(writers))
    conn.execute(sql.SQL("CREATE POLICY settings_update ON dws.settings FOR UPDATE TO {} USING (true) "
                         "WITH CHECK (changed_by = session_user)").format(writers))
    conn.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON dws.user_preferences TO {}").format(everyone))
    conn.execute(sql.SQL("CREATE POLICY own_preferences ON dws.user_preferences FOR ALL TO {} "
                         "USING (login = session_user) WITH CHECK (login = session_user)").format(everyone))
    conn.execute("RESET ROLE")


def exists(conn: Conn) -> bool:
    """Whether the office keeps settings (an office made before them has no table)."""
    row = conn.execute("SELECT to_regclass('dws.settings') IS NOT NULL").fetchone()
    return bool(row and row[0])


def rows(conn: Conn) -> list[tuple[str, bytes]]:
    """(key, sealed value) of every setting the office changed."""
    return [(str(k), bytes(s)) for k, s in conn.execute("SELECT key, sealed FROM dws.settings ORDER BY key")]


def put(conn: Conn, key: str, sealed: bytes) -> None:
    conn.execute("INSERT INTO dws.settings (key, sealed) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET "
                 "sealed = excluded.sealed", (key, sealed))


def preference(conn: Conn, key: str) -> str | None:
    """The connected login's preference `key` (JSON), or None."""
    row = conn.execute("SELECT value FROM dws.user_preferences WHERE login = session_user AND key = %s",
                       (key,)).fetchone()
    return None if row is None else str(row[0])


def put_preference(conn: Conn, key: str, value: str | None) -> None:
    """Keep (or, None, forget) the connected login's preference `key` (JSON)."""
    if value is None:
        conn.execute("DELETE FROM dws.user_preferences WHERE login = session_user AND key = %s", (key,))
        return
    conn.execute("INSERT INTO dws.user_preferences (key, value) VALUES (%s, %s) ON CONFLICT (login, key) DO UPDATE "
                 "SET value = excluded.value, changed_at = clock_timestamp()", (key, value))
