"""Each user's display preferences, kept in the store so that they follow the user: `high_contrast` (True, False,
or None for "as the desktop asks"). A preference changes how the application looks, nothing that is decided,
disclosed or evaluated, so a change is neither logged nor makes an evaluation stale. A recovery-code session has
no user to remember a choice for: it is not kept."""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from ..store import db
from ..store import preferences as preferences_sql
from .context import Ctx

PREFERENCES: dict[str, type] = {"high_contrast": bool}


def check(key: str, value: Any) -> None:
    """An unknown preference, or a value of the wrong kind, as one InputError."""
    kind = PREFERENCES.get(key)
    if kind is None:
        raise InputError(f"unknown preference {key!r}; known: {', '.join(sorted(PREFERENCES))}")
    if value is not None and not isinstance(value, kind):
        raise InputError(f"preference {key!r} must be {kind.__name__} or none, not {type(value).__name__}")


def get(session: Ctx, key: str) -> Any:
    check(key, None)
    return None if session.user is None else preferences_sql.get(session.conn, session.user, key)


def put(session: Ctx, key: str, value: Any) -> bool:
    """Keep the user's choice (None forgets it). False when there is no user to keep it for."""
    check(key, value)
    if session.user is None:
        return False
    with db.transaction(session.conn):
        preferences_sql.put(session.conn, session.user, key, value)
    return True
