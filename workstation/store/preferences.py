"""SQL for each user's display preferences (values stored as JSON; a missing key is None)."""

from __future__ import annotations

import json
from typing import Any

from ..canonical import utc_now
from .db import Connection


def get(conn: Connection, user: str, key: str) -> Any:
    row = conn.execute("SELECT value FROM user_preferences WHERE user = ? AND key = ?", (user, key)).fetchone()
    return json.loads(row[0]) if row else None


def put(conn: Connection, user: str, key: str, value: Any) -> None:
    if value is None:
        conn.execute("DELETE FROM user_preferences WHERE user = ? AND key = ?", (user, key))
        return
    conn.execute("INSERT INTO user_preferences (user, key, value, changed_at) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT(user, key) DO UPDATE SET value = excluded.value, changed_at = excluded.changed_at",
                 (user, key, json.dumps(value), utc_now()))
