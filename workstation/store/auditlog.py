"""The append-only, hash-chained audit log. Entries carry ids, counts and codes, never taxpayer values.

hash(n) = SHA-256( hash(n-1) || canonical JSON of {seq, ts, user, event, object, detail} ); the first
entry chains from GENESIS. Any edit, deletion, reordering or insertion breaks the chain from that entry on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring as _enc  # the C encoder json.dumps uses
from typing import Any

from ..canonical import canonical_json, utc_now
from .db import Connection

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class LogEntry:
    seq: int
    ts: str
    user: str | None
    event: str
    object: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str


def entry_hash(prev_hash: str, seq: int, ts: str, user: str | None, event: str, obj: str | None,
               detail_json: str) -> str:
    """SHA-256 of the previous hash and the canonical JSON of {detail, event, object, seq, ts, user}: the
    same bytes as canonical_json() of that dict, written out directly (verify hashes a million of these)."""
    body = (f'{{"detail":{_enc(detail_json)},"event":{_enc(event)},"object":{_enc_opt(obj)},"seq":{int(seq)},'
            f'"ts":{_enc(ts)},"user":{_enc_opt(user)}}}')
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _enc_opt(value: str | None) -> str:
    return "null" if value is None else _enc(value)


def head(conn: Connection) -> tuple[int, str]:
    row = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


def append(conn: Connection, event: str, *, user: str | None, obj: str | None = None,
           detail: dict[str, Any] | None = None, ts: str | None = None) -> tuple[int, str]:
    """Append one entry inside the caller's transaction, so the entry lands with the change it records."""
    last_seq, last_hash = head(conn)
    seq = last_seq + 1
    ts = ts or utc_now()
    detail_json = canonical_json(detail or {}).decode("utf-8")
    h = entry_hash(last_hash, seq, ts, user, event, obj, detail_json)
    conn.execute("INSERT INTO audit_log (seq, ts, user, event, object, detail, prev_hash, hash) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (seq, ts, user, event, obj, detail_json, last_hash, h))
    return seq, h


def entries(conn: Connection, *, since: int = 0, limit: int | None = None) -> Iterator[LogEntry]:
    sql = "SELECT seq, ts, user, event, object, detail, prev_hash, hash FROM audit_log WHERE seq > ? ORDER BY seq"
    args: tuple = (since,)
    if limit is not None:
        sql += " LIMIT ?"
        args = (since, limit)
    for seq, ts, user, event, obj, detail, prev, h in conn.execute(sql, args):
        yield LogEntry(seq, ts, user, event, obj, json.loads(detail), prev, h)


def first_break(conn: Connection) -> tuple[int, str] | None:
    """(seq, what is wrong) for the first entry that does not chain, or None when the chain is whole."""
    return walk(conn, frozenset())[1]


def walk(conn: Connection, keep: frozenset[str]) -> tuple[int, tuple[int, str] | None, list[tuple[str, str, str]]]:
    """One pass over the whole log: (entries, the first break or None, (event, object, detail) of every entry
    whose event is in `keep`). Entries after a break are still read for `keep`, no longer trusted."""
    expected_prev, expected_seq = GENESIS, 1
    broken: tuple[int, str] | None = None
    kept: list[tuple[str, str, str]] = []
    count = 0
    cur = conn.execute("SELECT seq, ts, user, event, object, detail, prev_hash, hash FROM audit_log ORDER BY seq")
    while rows := cur.fetchmany(20_000):
        count += len(rows)
        for seq, ts, user, event, obj, detail, prev, h in rows:
            if event in keep:
                kept.append((event, obj, detail))
            if broken is not None:
                continue
            if seq != expected_seq:
                broken = expected_seq, f"entry {expected_seq} is missing (next entry is {seq})"
            elif prev != expected_prev:
                broken = seq, f"entry {seq} does not chain to entry {seq - 1}"
            elif entry_hash(prev, seq, ts, user, event, obj, detail) != h:
                broken = seq, f"entry {seq} was altered (its hash does not match its content)"
            expected_prev, expected_seq = h, seq + 1
    return count, broken, kept
