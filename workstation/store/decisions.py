"""SQL for signed decisions."""

from __future__ import annotations

from dataclasses import dataclass

from .db import Connection

_COLS = ("id, decision_id, rid, document, doc_hash, outcome, status, preparer, preparer_key, preparer_sig, "
         "prepared_at, approver, approver_key, approver_sig, approved_at")


@dataclass(frozen=True, slots=True)
class DecisionRow:
    id: int
    decision_id: str
    rid: int
    document: bytes
    doc_hash: str
    outcome: str
    status: str
    preparer: str
    preparer_key: bytes
    preparer_sig: bytes
    prepared_at: str
    approver: str | None
    approver_key: bytes | None
    approver_sig: bytes | None
    approved_at: str | None


def current(conn: Connection, rid: int) -> DecisionRow | None:
    """The request's live decision (signed or approved), if any."""
    row = conn.execute(f"SELECT {_COLS} FROM decisions WHERE rid = ? AND status != 'superseded' "
                       "ORDER BY id DESC LIMIT 1", (rid,)).fetchone()
    return DecisionRow(*row) if row else None


def all_rows(conn: Connection) -> list[DecisionRow]:
    return [DecisionRow(*r) for r in conn.execute(f"SELECT {_COLS} FROM decisions ORDER BY id")]


def insert(conn: Connection, *, decision_id: str, rid: int, document: bytes, doc_hash: str, outcome: str,
           preparer: str, preparer_key: bytes, preparer_sig: bytes, prepared_at: str) -> None:
    conn.execute("UPDATE decisions SET status = 'superseded' WHERE rid = ? AND status = 'signed'", (rid,))
    conn.execute("INSERT INTO decisions (decision_id, rid, document, doc_hash, outcome, status, preparer, "
                 "preparer_key, preparer_sig, prepared_at) VALUES (?, ?, ?, ?, ?, 'signed', ?, ?, ?, ?)",
                 (decision_id, rid, document, doc_hash, outcome, preparer, preparer_key, preparer_sig, prepared_at))


def approve(conn: Connection, decision_id: str, *, approver: str, approver_key: bytes, approver_sig: bytes,
            approved_at: str) -> None:
    conn.execute("UPDATE decisions SET status = 'approved', approver = ?, approver_key = ?, approver_sig = ?, "
                 "approved_at = ? WHERE decision_id = ?", (approver, approver_key, approver_sig, approved_at,
                                                           decision_id))


def user_keys(conn: Connection) -> dict[str, set[bytes]]:
    keys: dict[str, set[bytes]] = {}
    for user, key in conn.execute("SELECT user, public_key FROM user_keys"):
        keys.setdefault(user, set()).add(key)
    return keys
