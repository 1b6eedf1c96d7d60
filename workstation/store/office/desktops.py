"""The office's desktops as its log records them (`dws office revoke`): each certificate issued
(`office-desktop-enrolled`: the desktop's name, the certificate's serial and validity) and each revocation
(`office-desktop-revoked`: the name and the serials). The office keeps no other list: the revocation list the
server loads is made again from these entries at each revocation (office/revoke.py)."""

from __future__ import annotations

import psycopg

Conn = psycopg.Connection[tuple[object, ...]]
ENROLLED = "office-desktop-enrolled"
REVOKED = "office-desktop-revoked"


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
