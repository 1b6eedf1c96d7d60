"""The office's desktops as its log records them (`dws office revoke`): each certificate issued
(`office-desktop-enrolled`: the desktop's name, the certificate's serial and validity) and each revocation
(`office-desktop-revoked`: the name and the serials). The office keeps no other list: the revocation list the
server loads is made again from these entries at each revocation (office/revoke.py)."""

from __future__ import annotations

import psycopg
from psycopg import sql

from .keyslots import enroller_role
from .roles import OfficeRoles

Conn = psycopg.Connection[tuple[object, ...]]
ENROLLED = "office-desktop-enrolled"
REVOKED = "office-desktop-revoked"

# A revoked desktop's open sessions on this office's database, ended (PostgreSQL checks a client certificate at the
# handshake only, so a session opened before the revocation list was read would go on). Owned by the enroller (a
# role nobody logs in as), which may read every session's TLS details and signal non-superuser backends for it.
_END_SESSIONS = """
CREATE FUNCTION dws.office_end_desktop_sessions(serials numeric[])
RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ended integer := 0;
    target integer;
BEGIN
    -- the sessions first, then one signal each (in one WHERE clause the planner may call pg_terminate_backend
    -- before the serial is compared: on every session)
    FOR target IN SELECT s.pid FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid
                  WHERE s.client_serial = ANY (serials) AND a.datname = current_database()
                    AND s.pid <> pg_backend_pid() LOOP
        IF pg_terminate_backend(target) THEN
            ended := ended + 1;
        END IF;
    END LOOP;
    RETURN ended;
END
$$"""


def create(conn: Conn, roles: OfficeRoles) -> None:
    """The function that ends a revoked desktop's sessions, for the admin group (in the caller's transaction, as
    a superuser, after keyslots.create made the enroller)."""
    enroller = sql.Identifier(enroller_role(roles))
    conn.execute(sql.SQL("GRANT pg_signal_backend, pg_read_all_stats TO {}").format(enroller))
    conn.execute(_END_SESSIONS)
    conn.execute(sql.SQL("ALTER FUNCTION dws.office_end_desktop_sessions(numeric[]) OWNER TO {}").format(enroller))
    conn.execute("REVOKE ALL ON FUNCTION dws.office_end_desktop_sessions(numeric[]) FROM PUBLIC")
    conn.execute(sql.SQL("GRANT EXECUTE ON FUNCTION dws.office_end_desktop_sessions(numeric[]) TO {}").format(
        sql.Identifier(roles.group("admin"))))


def end_sessions(conn: Conn, serials: list[int]) -> int:
    """End the open sessions (on this office's database) of the desktops whose certificates have `serials`, but
    this one; how many (as an admin)."""
    row = conn.execute("SELECT dws.office_end_desktop_sessions(%s::numeric[])",
                       ([str(s) for s in serials],)).fetchone()
    return int(str(row[0])) if row else 0


def events(conn: Conn, event: str) -> list[tuple[int, str, str | None, str]]:
    """(seq, ts, object, detail JSON) of every office log entry of `event`, in order."""
    rows = conn.execute("SELECT seq, ts, object, detail FROM dws.office_log WHERE event = %s ORDER BY seq",
                        (event,)).fetchall()
    out = []
    for seq, ts, obj, detail in rows:
        assert isinstance(seq, int) and isinstance(ts, str) and isinstance(detail, str)
        assert obj is None or isinstance(obj, str)
        out.append((seq, ts, obj, detail))
    return out


def conf_load_time(conn: Conn) -> str:
    """When the server last read its configuration files (pg_conf_load_time()), as text: a reload changes it."""
    row = conn.execute("SELECT pg_conf_load_time()::text").fetchone()
    return str(row[0]) if row else ""
