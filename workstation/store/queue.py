"""SQL for the review queue."""

from __future__ import annotations

from ..model import QueueRow
from .db import Connection

_COLUMNS = "request_id, agency, agency_code, authority, received_on, due_on, subject_count, status"


def rows(conn: Connection, *, status: str | None = None) -> list[QueueRow]:
    sql = f"SELECT {_COLUMNS} FROM requests"
    args: tuple = ()
    if status:
        sql += " WHERE status = ?"
        args = (status,)
    sql += " ORDER BY due_on IS NULL, due_on, request_id"
    return [QueueRow(*r) for r in conn.execute(sql, args)]
