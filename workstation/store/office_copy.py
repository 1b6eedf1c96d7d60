"""SQL for an office request's working copy (service/office_evaluation.py builds it, service/office_decisions.py
signs on it): the local store that holds one office request, made to name the office and its signers."""

from __future__ import annotations

from ..canonical import utc_now
from .db import Connection


def adopt(conn: Connection, store_id: str, signers: dict[str, tuple[str, bytes]]) -> None:
    """The working copy takes the office's id (a decision document names its store) and knows each signer's
    public key (name -> (local role, public key)); their private keys stay in the office (no wrapped key here)."""
    conn.execute("INSERT INTO meta (key, value) VALUES ('store_id', ?) ON CONFLICT (key) DO UPDATE SET value = "
                 "excluded.value", (store_id,))
    now = utc_now()
    for name, (role, public) in signers.items():
        conn.execute("INSERT INTO users (name, role, public_key, sk_nonce, sk_wrapped, active, created_at, "
                     "created_by) VALUES (?, ?, ?, x'', x'', 1, ?, 'office') ON CONFLICT (name) DO NOTHING",
                     (name, role, public, now))
        conn.execute("INSERT INTO user_keys (user, public_key, valid_from) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                     (name, public, now))       # adopted again (an open request's copy): the same keys


def forget_decisions(conn: Connection, rid: int) -> None:
    """An open request's copy forgets the decisions copied into it (the office's, copied in again when they
    changed: service/office_open.refresh)."""
    conn.execute("DELETE FROM decisions WHERE rid = ?", (rid,))


def disclosures_of(conn: Connection, letter_id: str) -> list[list[object]]:
    """The accounting rows a letter recorded in the working copy (disclosures' columns but its id), in order."""
    return [list(r) for r in conn.execute(
        "SELECT rid, request_id, letter_id, decision_id, agency_code, agency, tin, tin_type, ref, items, authority, "
        "purpose, disclosed_at FROM disclosures WHERE letter_id = ? ORDER BY id", (letter_id,))]


def forget_letter(conn: Connection, letter_id: str) -> None:
    """The letter's row and accounting rows out of the working copy again (before it is made anew: another desktop
    wrote to the office log while it was being made, so its checkpoint was stale)."""
    conn.execute("DELETE FROM disclosures WHERE letter_id = ?", (letter_id,))
    conn.execute("DELETE FROM letters WHERE letter_id = ?", (letter_id,))
