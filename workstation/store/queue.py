"""SQL for the review queue."""

from __future__ import annotations

from ..model import QueueRow
from .db import Connection

_COLUMNS = ("r.request_id, r.agency, r.agency_code, r.authority, r.received_on, r.due_on, r.subject_count, r.status, "
            "e.recommendation")


def rows(conn: Connection, *, status: str | None = None) -> list[QueueRow]:
    sql = f"SELECT {_COLUMNS} FROM requests r LEFT JOIN evaluations e ON e.rid = r.rid"
    args: tuple[object, ...] = ()
    if status:
        sql += " WHERE r.status = ?"
        args = (status,)
    sql += " ORDER BY r.due_on IS NULL, r.due_on, r.request_id"
    return [QueueRow(*r) for r in conn.execute(sql, args)]
