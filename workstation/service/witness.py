"""Signed checkpoints of the audit log, witnesses outside the store, and `verify --against`.

A checkpoint is signed with the user's checkpoint key: an Ed25519 key of its own (not the decision-signing
key), wrapped under the user's passphrase, unwrapped once at unlock and held in memory for the session, so
locking, exiting or printing a letter signs one without asking the passphrase again; or, for a user whose
keys are on a PKCS#11 token that holds an Ed25519 key, that key, while the card is open (tokens.py). Its
verifier key is announced in the log when it is enrolled and is exported with `dws log key`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from .. import checkpoint as cp
from .. import letter_checkpoint, merkle
from ..errors import AuthError, InputError, StoreError
from ..fsutil import atomic_write
from ..inputfiles import MAX_CHECKPOINT_BYTES, read_input_file
from ..model import CheckpointInfo, WitnessCheck, WitnessWrite
from ..store import auditlog, db, logtree
from ..store import users as users_sql
from . import tokens
from .context import Ctx

_STORE_ID = re.compile(r"[0-9a-f]{1,64}", re.ASCII)


def _shown_origin(origin: str) -> str:
    """A checkpoint's origin line as a message shows it: a store's origin quoted; anything else (a forged or
    foreign file may hold any text) by its length only."""
    if origin.startswith(cp.ORIGIN_PREFIX) and _STORE_ID.fullmatch(origin[len(cp.ORIGIN_PREFIX):]):
        return repr(origin)
    return f"<not a Disclosure Workstation origin, {len(origin):,} character{'s' * (len(origin) != 1)}>"

CHECKPOINT_SUFFIX = ".checkpoint"
WITNESS_SUFFIXES = (CHECKPOINT_SUFFIX, ".txt", ".pdf")


def sign_checkpoint(s: Ctx) -> CheckpointInfo:
    """A checkpoint of the log as it is now, signed but not kept. A letter signs one
    before it is rendered and keeps it in the transaction that issues it (letters.py)."""
    s.require("read-log")
    if s.user is None:
        raise AuthError("a checkpoint is signed by a user; a recovery-code session cannot sign one")
    key = tokens.checkpoint_signer(s)
    if key is None:
        raise AuthError("your checkpoint key is on your card: give the card's PIN to sign a checkpoint")
    store_id = logtree.store_id(s.conn)
    head_seq, _ = auditlog.head(s.conn)
    size = logtree.size(s.conn)
    if size != head_seq:
        raise StoreError(f"the log's Merkle tree holds {size:,} entries but the log {head_seq:,}; the store was "
                         "changed outside the program (run 'dws verify')")
    root = logtree.root(s.conn, size)
    name = cp.key_name(s.user, store_id)
    checkpoint = cp.make_with(cp.origin(store_id), size, root, name, key)
    return CheckpointInfo(size, root.hex(), checkpoint.note, s.user, cp.verifier_key(name, key.public_key))


def keep_checkpoint(s: Ctx, info: CheckpointInfo) -> None:
    """Store a signed checkpoint (inside the caller's transaction)."""
    assert s.user is not None
    logtree.save_checkpoint(s.conn, info.size, bytes.fromhex(info.root_hex), info.note, s.user)


def make_checkpoint(s: Ctx) -> CheckpointInfo:
    """Sign a checkpoint of the log as it is now, keep it in the store, and return it."""
    info = sign_checkpoint(s)
    with db.transaction(s.conn):
        keep_checkpoint(s, info)
    return info


def verifier_key(s: Ctx, user: str | None = None) -> str:
    """The user's current checkpoint verifier key (default: the signed-in user)."""
    s.require("read-log")
    user = user or s.user
    if user is None:
        raise InputError("name a user: a recovery-code session has no checkpoint key")
    keys = [k for k in logtree.checkpoint_keys(s.conn, user) if k.active]
    if not keys:
        raise InputError(f"user {user!r} has no checkpoint key yet (one is made at the user's next unlock)"
                         if any(u.name == user for u in users_sql.all_users(s.conn)) else f"no user {user!r}")
    return cp.verifier_key(cp.key_name(user, logtree.store_id(s.conn)), keys[-1].public_key)


def write_witness(s: Ctx, folder: Path) -> WitnessWrite:
    """Sign a checkpoint now and write it into a witness folder outside the store (what the GUI calls on
    lock and exit, and the CLI after a command that wrote to the log). The folder must exist: a missing
    one (an unplugged drive, an unreachable share) raises InputError, which the caller shows as a warning
    without losing any work; the next write catches up, since every checkpoint covers the whole log."""
    if not folder.is_dir():
        raise InputError("the witness folder is missing or not a folder; the checkpoint was not written",
                         source=str(folder))
    return write_file(folder, logtree.store_id(s.conn), make_checkpoint(s))


def write_file(folder: Path, log_id: str, info: CheckpointInfo) -> WitnessWrite:
    """A signed checkpoint into the witness folder as `dws-<log id, 8 digits>-<size>-<signer>.checkpoint` (a
    local store's log or an office's: office_witness_folder.py); InputError when it cannot be written."""
    target = folder / f"dws-{log_id[:8]}-{info.size:010d}-{info.signer}{CHECKPOINT_SUFFIX}"
    try:
        atomic_write(target, info.note.encode("utf-8"))
    except OSError as exc:
        raise InputError(f"cannot write the checkpoint ({exc.__class__.__name__})", source=str(target)) from None
    return WitnessWrite(str(target), info.size)


# --- reading witnesses ------------------------------------------------------------------------------------

def load(paths: Iterable[Path]) -> list[tuple[str, cp.Checkpoint]]:
    """(source, checkpoint) for every checkpoint in the files, letter PDFs and witness folders given.
    Anything unreadable is an InputError naming the file: nothing is verified until all of them read."""
    out: list[tuple[str, cp.Checkpoint]] = []
    for path in paths:
        if path.is_dir():
            files = sorted(f for f in path.iterdir() if f.is_file() and f.suffix.lower() in WITNESS_SUFFIXES)
            if not files:
                raise InputError("the witness folder holds no checkpoint files (*.checkpoint)", source=str(path))
            for f in files:
                out.extend(_read(f))
        else:
            out.extend(_read(path))
    return out


def _read(path: Path) -> list[tuple[str, cp.Checkpoint]]:
    data = read_input_file(path, MAX_CHECKPOINT_BYTES, what="a checkpoint file, a letter PDF or a witness folder")
    if data.startswith(b"%PDF"):
        notes = letter_checkpoint.find(data)
        if not notes:
            raise InputError("this PDF carries no audit-log checkpoint (a letter issued before checkpoints "
                             "were printed on letters, or not a letter)", source=str(path))
    else:
        try:
            notes = [data.decode("utf-8")]
        except UnicodeDecodeError:
            raise InputError("not a checkpoint: the file is not UTF-8 text", source=str(path)) from None
    try:
        return [(str(path), cp.parse(note)) for note in notes]
    except cp.CheckpointFormatError as exc:
        raise InputError(f"not a checkpoint: {exc}", source=str(path)) from None


# --- verify --against ----------------------------------------------------------------------------------------

def check(s: Ctx, witnesses: Sequence[tuple[str, cp.Checkpoint]], walked: auditlog.Walk,
          announced: set[bytes]) -> tuple[list[WitnessCheck], list[str]]:
    """Each checkpoint against the log: signed by a key enrolled in this store (and announced in its log),
    and extended by the log as it is now, recomputed from the entries themselves (so a rewritten entry
    is caught even when its chain hashes and the stored tree were recomputed), with an RFC 9162 consistency
    proof from the stored tree. Returns the checks and the store-wide problems found on the way."""
    conn = s.conn
    store_id = logtree.store_id(conn)
    n = walked.entries
    recomputed = walked.roots[n]
    problems: list[str] = []
    nodes = logtree.node_source(conn)
    try:
        tree_ok = logtree.size(conn) == n and logtree.root(conn, n) == recomputed
    except logtree.MissingNode:
        tree_ok = False
    leaf_break = None
    if not tree_ok:
        leaf_break = first_leaf_mismatch(s)
        problems.append("audit log: the stored Merkle tree does not match the entries"
                        + (f" (from the tile of entries {leaf_break}..{leaf_break + logtree.TILE - 1})"
                           if leaf_break else ""))
    keys: dict[str, list[bytes]] = {}
    for k in logtree.checkpoint_keys(conn):
        keys.setdefault(k.user, []).append(k.public_key)
    results: list[WitnessCheck] = []
    good_sizes: list[int] = []
    for source, c in sorted(witnesses, key=lambda w: w[1].size):
        what = f"checkpoint {source} (size {c.size:,})"
        if c.origin != cp.origin(store_id):
            results.append(WitnessCheck(source, None, None, False, f"{what} is from another store (origin "
                                        f"{_shown_origin(c.origin)}, this store is {cp.origin(store_id)!r})"))
            continue
        signer = next((user for user, pubs in keys.items() for pub in pubs
                       if pub in announced and c.verify(cp.key_name(user, store_id), pub)), None)
        if signer is None:
            results.append(WitnessCheck(source, c.size, None, False, f"{what} is not signed by a checkpoint key "
                                        "enrolled in this store: forged, or altered after it was signed"))
            continue
        what += f", signed by {signer}"
        first = walked.broken[0] if walked.broken and walked.broken[0] <= c.size else None
        low = max((g for g in good_sizes if g < c.size), default=0) + 1
        high = c.size
        if first is None and leaf_break is not None and leaf_break <= c.size:   # the tile that changed
            low, high = max(low, leaf_break), min(c.size, leaf_break + logtree.TILE - 1)
        if c.size > n:
            doubt = f"; entries {low}..{n} are vouched for by no checkpoint that still holds" if low <= n else ""
            results.append(WitnessCheck(source, c.size, signer, False, f"{what}: the log has only {n:,} entries, "
                                        f"so entries {n + 1}..{c.size} were removed{doubt}",
                                        first or min(low, n + 1), c.size))
            continue
        if walked.roots.get(c.size) != c.root:
            if first is not None:
                results.append(WitnessCheck(source, c.size, signer, False, f"{what}: the log no longer extends "
                                            f"it; entry {first} is the first that no longer matches", first))
            else:
                results.append(WitnessCheck(source, c.size, signer, False, f"{what}: the log no longer extends "
                                            f"it; an entry among {low}..{high} was changed, removed or "
                                            f"reordered (entry {low} is the first the witnesses no longer "
                                            "vouch for)", low, high))
            continue
        if tree_ok:
            proof = merkle.consistency_proof(nodes, c.size, n)
            if not merkle.verify_consistency(c.size, n, c.root, recomputed, proof):
                results.append(WitnessCheck(source, c.size, signer, False,
                                            f"{what}: the consistency proof to the current tree fails"))
                continue
        good_sizes.append(c.size)
        results.append(WitnessCheck(source, c.size, signer, True))
    return results, problems


def first_leaf_mismatch(s: Ctx) -> int | None:
    """The seq of the first entry of the first tile (16 entries) whose stored root is missing or differs
    from the one recomputed from the entries, or None when every stored tile matches."""
    stored = logtree.stored_tiles(s.conn)
    tree = merkle.Frontier()
    for seq, leaf in auditlog.leaf_hashes(s.conn):
        for level, idx, h in tree.add(leaf):
            if level == logtree.TILE_LEVEL and next(stored, None) != (idx, h):
                return idx * logtree.TILE + 1
        if seq != tree.size:
            return tree.size
    return None if next(stored, None) is None else auditlog.head(s.conn)[0] + 1
