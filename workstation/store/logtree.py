"""SQL for the audit log's Merkle tree (table log_tree), its checkpoints and the users' checkpoint keys.

Leaf i of the tree is the audit-log entry seq = i + 1; its hash is SHA-256(0x00 || the entry's canonical
bytes, the very bytes the chain hashes). The tree is kept in tiles: every complete node of level TILE_LEVEL
(the root of 16 consecutive entries) and above is stored; a node below that is recomputed from its at most
16 entries when a proof needs it. So an append stores nothing 15 times in 16 and, on the 16th, one tile root
plus the nodes it completes; the root of any past size and any proof read O(log n) rows (workstation/merkle.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .. import merkle
from ..canonical import utc_now
from ..errors import StoreError
from ..keys import primitives as p
from .db import Connection

TILE_LEVEL = 4
TILE = 1 << TILE_LEVEL
_NODE = "SELECT hash FROM log_tree WHERE level = ? AND idx = ?"
_INSERT = "INSERT INTO log_tree (level, idx, hash) VALUES (?, ?, ?)"
_ENTRIES = "SELECT seq, ts, user, event, object, detail FROM audit_log WHERE seq BETWEEN ? AND ? ORDER BY seq"


class MissingNode(StoreError):
    """A node the tree should hold is not stored (the tree was cut or never built)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"the audit log's Merkle tree is damaged ({what}); run 'dws verify'")


def _leaves(conn: Connection, first: int, count: int) -> list[bytes]:
    """Leaf hashes of entries first+1 .. first+count (leaf indices first .. first+count-1)."""
    from .auditlog import entry_body

    rows = conn.execute(_ENTRIES, (first + 1, first + count)).fetchall()
    if len(rows) != count or (rows and rows[0][0] != first + 1):
        raise MissingNode(f"audit-log entries {first + 1}..{first + count} are not all there")
    return [merkle.leaf_hash(entry_body(*row)) for row in rows]


def _from_leaves(hashes: list[bytes]) -> bytes:
    tree = merkle.Frontier()
    for h in hashes:
        tree.add_fast(h)
    return tree.root()


def node_source(conn: Connection) -> merkle.NodeSource:
    def nodes(level: int, index: int) -> bytes:
        if level < TILE_LEVEL:
            return _from_leaves(_leaves(conn, index << level, 1 << level))
        row = conn.execute(_NODE, (level, index)).fetchone()
        if row is None:
            raise MissingNode(f"tree node ({level}, {index}) is missing")
        return bytes(row[0])

    return nodes


def _tiles(conn: Connection) -> int:
    row = conn.execute("SELECT max(idx) FROM log_tree WHERE level = ?", (TILE_LEVEL,)).fetchone()
    return 0 if row is None or row[0] is None else int(row[0]) + 1


def size(conn: Connection) -> int:
    """How many entries the tree covers: the whole log when its stored tiles are complete, else only up to
    the last stored tile (the tree is then behind the log: it was cut, or never built)."""
    head = conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0] or 0
    tiles = _tiles(conn)
    return head if tiles == head // TILE else min(head, tiles * TILE)


def root(conn: Connection, tree_size: int) -> bytes:
    return merkle.root(node_source(conn), tree_size)


# The leaves of the tile being filled, per connection: [tile index, leaf hashes so far, chain hash of the last
# entry they cover]. Only a shortcut: it is used when the log's head is still the entry it last saw (the chain
# hash binds every entry before it, so a rolled-back append or another writer in between is noticed), and
# the tile's entries are read back from the log otherwise.
_pending: dict[int, list[Any]] = {}


def append_leaf(conn: Connection, index: int, leaf: bytes, prev_hash: str | None = None,
                chain_hash: str | None = None) -> None:
    """Leaf `index` was appended (inside the caller's transaction): when it completes a tile, store the
    tile's root and every node above it that it completes."""
    pos, tile = index % TILE, index >> TILE_LEVEL
    cached = _pending.get(id(conn))
    if pos == 0:
        leaves: list[bytes] | None = [leaf]
    elif cached is not None and cached[0] == tile and len(cached[1]) == pos and cached[2] == prev_hash:
        leaves = cached[1]
        leaves.append(leaf)
    else:
        leaves = None
    if pos < TILE - 1:
        if leaves is not None and chain_hash is not None:
            if len(_pending) > 16:
                _pending.clear()
            _pending[id(conn)] = [tile, leaves, chain_hash]
        else:
            _pending.pop(id(conn), None)
        return
    _pending.pop(id(conn), None)
    if leaves is None:
        leaves = [*_leaves(conn, index + 1 - TILE, TILE - 1), leaf]
    n, h, level = tile, _from_leaves(leaves), TILE_LEVEL
    conn.execute(_INSERT, (level, n, h))
    while n & 1:
        row = conn.execute(_NODE, (level, n - 1)).fetchone()
        if row is None:
            raise MissingNode(f"tree node ({level}, {n - 1}) is missing")
        h = merkle.node_hash(bytes(row[0]), h)
        n >>= 1
        level += 1
        conn.execute(_INSERT, (level, n, h))


def extend(conn: Connection, *, batch: int = 50_000) -> int:
    """Add to the tree every log entry it does not hold yet (migration 0009; entries inserted in bulk by the
    benchmarks). Streams the entries; returns the new size."""
    from .auditlog import entry_body

    have = _tiles(conn) * TILE
    frontier = merkle.Frontier.of(node_source(conn), have)
    rows: list[tuple[int, int, bytes]] = []
    cur = conn.execute("SELECT seq, ts, user, event, object, detail FROM audit_log WHERE seq > ? ORDER BY seq",
                       (have,))
    while chunk := cur.fetchmany(batch):
        for row in chunk:
            if row[0] != frontier.size + 1:
                raise MissingNode(f"audit-log entry {frontier.size + 1} is missing; the tree cannot be built")
            rows.extend(x for x in frontier.add(merkle.leaf_hash(entry_body(*row))) if x[0] >= TILE_LEVEL)
        conn.executemany(_INSERT, rows)
        rows.clear()
    return frontier.size


def rebuild(conn: Connection) -> int:
    """Drop the stored tree and build it again from the entries (what an insider who rewrote entries would
    do; the tests simulate that with it)."""
    conn.execute("DELETE FROM log_tree")
    return extend(conn)


def stored_tiles(conn: Connection) -> Iterator[tuple[int, bytes]]:
    """(idx, hash) of every stored tile root (level TILE_LEVEL), in order."""
    cur = conn.execute("SELECT idx, hash FROM log_tree WHERE level = ? ORDER BY idx", (TILE_LEVEL,))
    while rows := cur.fetchmany(20_000):
        for idx, h in rows:
            yield idx, bytes(h)


def store_id(conn: Connection) -> str:
    return str(conn.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0])


# --- checkpoints ----------------------------------------------------------------------------------------

def save_checkpoint(conn: Connection, tree_size: int, root_hash: bytes, note: str, user: str) -> None:
    conn.execute("INSERT INTO log_checkpoints (size, root, note, made_at, made_by) VALUES (?, ?, ?, ?, ?)",
                 (tree_size, root_hash, note, utc_now(), user))


def latest_checkpoint(conn: Connection, min_size: int = 0) -> str | None:
    """The newest stored checkpoint note of at least `min_size` entries, or None."""
    row = conn.execute("SELECT note FROM log_checkpoints WHERE size >= ? ORDER BY id DESC LIMIT 1",
                       (min_size,)).fetchone()
    return row[0] if row else None


# --- checkpoint keys ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CheckpointKey:
    user: str
    public_key: bytes
    active: bool
    created_at: str


def _aad(user: str) -> bytes:
    return f"dws/checkpoint-key|{user}".encode()


def new_checkpoint_key(conn: Connection, user: str, wrap_key: bytes) -> tuple[bytes, bytes]:
    """A fresh Ed25519 checkpoint key for `user` (earlier ones kept, inactive). Returns (private, public)."""
    private, public = p.new_signing_key()
    nonce, wrapped = p.wrap(private, wrap_key, _aad(user))
    conn.execute("UPDATE checkpoint_keys SET active = 0 WHERE user = ?", (user,))
    conn.execute("INSERT INTO checkpoint_keys (user, public_key, sk_nonce, sk_wrapped, created_at, active) "
                 "VALUES (?, ?, ?, ?, ?, 1)", (user, public, nonce, wrapped, utc_now()))
    return private, public


def token_checkpoint_key(conn: Connection, user: str, public: bytes) -> None:
    """The user's checkpoint key is an Ed25519 key on their PKCS#11 token: only its public half is kept (the
    wrapped blobs stay empty). Earlier keys are kept, inactive."""
    conn.execute("UPDATE checkpoint_keys SET active = 0 WHERE user = ?", (user,))
    conn.execute("INSERT INTO checkpoint_keys (user, public_key, sk_nonce, sk_wrapped, created_at, active) "
                 "VALUES (?, ?, x'', x'', ?, 1) ON CONFLICT (user, public_key) DO UPDATE SET active = 1",
                 (user, public, utc_now()))


def active_checkpoint_key(conn: Connection, user: str) -> tuple[bytes, bool] | None:
    """(public key, whether it is on the user's token) of the user's active checkpoint key, or None."""
    row = conn.execute("SELECT public_key, sk_wrapped FROM checkpoint_keys WHERE user = ? AND active = 1",
                       (user,)).fetchone()
    return None if row is None else (bytes(row[0]), not row[1])


def checkpoint_private_key(conn: Connection, user: str, wrap_key: bytes) -> bytes | None:
    """The user's active checkpoint key unwrapped, or None (none yet, the passphrase has changed, or the key
    is on the user's token)."""
    row = conn.execute("SELECT sk_nonce, sk_wrapped FROM checkpoint_keys WHERE user = ? AND active = 1",
                       (user,)).fetchone()
    return None if row is None or not row[1] else p.unwrap(row[0], row[1], wrap_key, _aad(user))


def checkpoint_keys(conn: Connection, user: str | None = None) -> list[CheckpointKey]:
    sql = "SELECT user, public_key, active, created_at FROM checkpoint_keys"
    args: tuple[object, ...] = ()
    if user is not None:
        sql += " WHERE user = ?"
        args = (user,)
    rows = conn.execute(sql + " ORDER BY user, created_at", args).fetchall()
    return [CheckpointKey(r[0], bytes(r[1]), bool(r[2]), r[3]) for r in rows]


def rewrap_checkpoint_key(conn: Connection, user: str, old_wrap_key: bytes, new_wrap_key: bytes) -> bool:
    """The user's active checkpoint key (the same key) wrapped under `new_wrap_key` instead. False when there
    is none to re-wrap (none yet, on a token, or `old_wrap_key` does not open it: the next unlock enrols one)."""
    private = checkpoint_private_key(conn, user, old_wrap_key)
    if private is None:
        return False
    nonce, wrapped = p.wrap(private, new_wrap_key, _aad(user))
    conn.execute("UPDATE checkpoint_keys SET sk_nonce = ?, sk_wrapped = ? WHERE user = ? AND active = 1",
                 (nonce, wrapped, user))
    return True
