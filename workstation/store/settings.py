"""SQL for settings (values stored as JSON; missing keys fall back to DEFAULTS; the office policy wins).

`fixed` is what the office policy fixes (`workstation.policy.current().values`): the caller reads the policy,
this module only its own table, so the store imports nothing from above it. The record of the policy this
store saw last (`policy.note_in_store`) is kept in `meta`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import cast

from ..canonical import utc_now
from ..settings import DEFAULTS, Settings, SettingValue
from .db import Connection

POLICY_KEY = "office_policy"        # meta: the office policy's record (canonical JSON) this store saw last


def get(conn: Connection, key: str, fixed: Mapping[str, SettingValue]) -> SettingValue:
    if key in fixed:
        return fixed[key]
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return cast(SettingValue, json.loads(row[0])) if row else DEFAULTS[key]   # stored by `put`, checked then


def all_settings(conn: Connection, fixed: Mapping[str, SettingValue]) -> Settings:
    values = dict(DEFAULTS)
    for key, value in conn.execute("SELECT key, value FROM settings"):
        if key in values:
            values[key] = json.loads(value)
    values.update(fixed)
    return cast(Settings, values)       # DEFAULTS' keys (a test checks), each value checked by `coerce` when set


def put(conn: Connection, key: str, value: SettingValue, user: str | None) -> None:
    conn.execute("INSERT INTO settings (key, value, changed_at, changed_by) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value, changed_at = excluded.changed_at, "
                 "changed_by = excluded.changed_by", (key, json.dumps(value), utc_now(), user))


def policy_seen(conn: Connection) -> str | None:
    """The office policy's record as this store saw it last (canonical JSON), or None before the first."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (POLICY_KEY,)).fetchone()
    return str(row[0]) if row else None


def note_policy(conn: Connection, record: str) -> None:
    """Inside the caller's transaction: `record` is the office policy this store saw last."""
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                 (POLICY_KEY, record))
