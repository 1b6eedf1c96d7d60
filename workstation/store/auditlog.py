"""The append-only, hash-chained audit log. Entries carry ids, counts and codes, never taxpayer values.

hash(n) = SHA-256( hash(n-1) || canonical JSON of {seq, ts, user, event, object, detail} ); the first
entry chains from GENESIS. Any edit, deletion, reordering or insertion breaks the chain from that entry on.
The same canonical bytes are the leaves of the log's Merkle tree (logtree.py), which every append extends in
the same transaction: the tree is what signed checkpoints outside the store commit to.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _enc  # the C encoder json.dumps uses
from typing import Any

from .. import merkle
from ..canonical import canonical_json, utc_now
from ..crypto.digest import sha256, sha256_hex
from . import logtree
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


def entry_body(seq: int, ts: str, user: str | None, event: str, obj: str | None, detail_json: str) -> bytes:
    """The entry's canonical bytes: canonical JSON of {detail, event, object, seq, ts, user}, written out
    directly (verify hashes a million of these). The chain and the Merkle tree both hash these bytes."""
    return (f'{{"detail":{_enc(detail_json)},"event":{_enc(event)},"object":{_enc_opt(obj)},"seq":{int(seq)},'
            f'"ts":{_enc(ts)},"user":{_enc_opt(user)}}}').encode()


def entry_hash(prev_hash: str, seq: int, ts: str, user: str | None, event: str, obj: str | None,
               detail_json: str) -> str:
    """SHA-256 of the previous hash and the entry's canonical bytes."""
    return sha256_hex(prev_hash.encode("ascii") + entry_body(seq, ts, user, event, obj, detail_json))


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
    body = entry_body(seq, ts, user, event, obj, detail_json)
    h = sha256_hex(last_hash.encode("ascii") + body)
    conn.execute("INSERT INTO audit_log (seq, ts, user, event, object, detail, prev_hash, hash) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (seq, ts, user, event, obj, detail_json, last_hash, h))
    logtree.append_leaf(conn, seq - 1, merkle.leaf_hash(body), last_hash, h)
    return seq, h


def entries(conn: Connection, *, since: int = 0, limit: int | None = None) -> Iterator[LogEntry]:
    sql = "SELECT seq, ts, user, event, object, detail, prev_hash, hash FROM audit_log WHERE seq > ? ORDER BY seq"
    args: tuple[object, ...] = (since,)
    if limit is not None:
        sql += " LIMIT ?"
        args = (since, limit)
    for seq, ts, user, event, obj, detail, prev, h in conn.execute(sql, args):
        yield LogEntry(seq, ts, user, event, obj, json.loads(detail), prev, h)


def entry_row(conn: Connection, seq: int) -> tuple[int, str, str | None, str, str | None, str] | None:
    """(seq, ts, user, event, object, detail JSON) of one entry, as stored."""
    row: tuple[int, str, str | None, str, str | None, str] | None = conn.execute(
        "SELECT seq, ts, user, event, object, detail FROM audit_log WHERE seq = ?", (seq,)).fetchone()
    return row


def hash_at(conn: Connection, seq: int) -> str | None:
    """The stored hash of entry `seq` (None: no such entry)."""
    row = conn.execute("SELECT hash FROM audit_log WHERE seq = ?", (seq,)).fetchone()
    return str(row[0]) if row else None


def seqs_about(conn: Connection, objects: Collection[str], events: Collection[str] = ()) -> list[tuple[int, str, str]]:
    """(seq, object, detail JSON) of the entries about any of `objects` (only `events`, when given)."""
    if not objects:
        return []
    sql = f"SELECT seq, object, detail FROM audit_log WHERE object IN ({','.join('?' * len(objects))})"
    args = list(objects)
    if events:
        sql += f" AND event IN ({','.join('?' * len(events))})"
        args += list(events)
    return conn.execute(sql + " ORDER BY seq", args).fetchall()


def leaf_hashes(conn: Connection) -> Iterator[tuple[int, bytes]]:
    """(seq, Merkle leaf hash recomputed from the stored entry) of every entry, in order."""
    cur = conn.execute("SELECT seq, ts, user, event, object, detail FROM audit_log ORDER BY seq")
    while rows := cur.fetchmany(20_000):
        for seq, ts, user, event, obj, detail in rows:
            yield seq, merkle.leaf_hash(entry_body(seq, ts, user, event, obj, detail))


def first_break(conn: Connection) -> tuple[int, str] | None:
    """(seq, what is wrong) for the first entry that does not chain, or None when the chain is whole."""
    return walk(conn, frozenset()).broken


@dataclass
class Walk:
    entries: int = 0
    broken: tuple[int, str] | None = None          # the first entry that does not chain, and why
    kept: list[tuple[str, str, str]] = field(default_factory=list)   # (event, object, detail) asked for
    roots: dict[int, bytes] = field(default_factory=dict)   # tree size -> root recomputed from the entries


def walk(conn: Connection, keep: frozenset[str], roots_at: Collection[int] = ()) -> Walk:
    """One pass over the whole log: the entry count, the first break, (event, object, detail) of every entry
    whose event is in `keep`, and, when `roots_at` is given, the Merkle root recomputed from the entries
    themselves at each of those sizes and at the whole log's size. Entries after a break are still read."""
    expected_prev, expected_seq = GENESIS, 1
    out = Walk()
    kept = out.kept
    want = set(roots_at)
    tree = merkle.Frontier() if want else None
    leaf, chained = sha256, sha256_hex
    if tree is not None and 0 in want:
        out.roots[0] = merkle.EMPTY_ROOT
    cur = conn.execute("SELECT seq, ts, user, event, object, detail, prev_hash, hash FROM audit_log ORDER BY seq")
    while rows := cur.fetchmany(20_000):
        out.entries += len(rows)
        for seq, ts, user, event, obj, detail, prev, h in rows:
            if event in keep:
                kept.append((event, obj, detail))
            body = (f'{{"detail":{_enc(detail)},"event":{_enc(event)},"object":{_enc_opt(obj)},"seq":{int(seq)},'
                    f'"ts":{_enc(ts)},"user":{_enc_opt(user)}}}').encode()
            if tree is not None:
                tree.add_fast(leaf(b"\x00" + body))
                if tree.size in want:
                    out.roots[tree.size] = tree.root()
            if out.broken is not None:
                continue
            if seq != expected_seq:
                out.broken = expected_seq, f"entry {expected_seq} is missing (next entry is {seq})"
            elif prev != expected_prev:
                out.broken = seq, f"entry {seq} does not chain to entry {seq - 1}"
            elif chained(prev.encode("ascii") + body) != h:
                out.broken = seq, f"entry {seq} was altered (its hash does not match its content)"
            expected_prev, expected_seq = h, seq + 1
    if tree is not None:
        out.roots[tree.size] = tree.root()
    return out


def rows(conn: Connection, upto: int) -> Iterator[tuple[int, str, str | None, str, str | None, str, str, str]]:
    """(seq, ts, user, event, object, detail JSON, prev_hash, hash) of entries 1..`upto`, as stored, in order."""
    cur = conn.execute("SELECT seq, ts, user, event, object, detail, prev_hash, hash FROM audit_log WHERE seq <= ? "
                       "ORDER BY seq", (upto,))
    while batch := cur.fetchmany(20_000):
        yield from batch
