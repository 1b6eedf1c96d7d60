"""Checkpoints of the office log and `verify --against` for an office store (issue 19 item 3; issue 12's witness,
for the office).

A checkpoint is the local log's (INTERCHANGE.md, checkpoint.py): C2SP tlog-checkpoint text signed as a signed note
with Ed25519, over the RFC 9162 Merkle tree whose leaves are the entries' canonical bytes (store/auditlog.entry_body,
the bytes the office log's chain hashes too). The office keeps no stored tree: the tree is recomputed from the
entries on the desktop each time, so a superuser who rewrites an entry and every hash after it, or cuts the log's
tail, on the server is caught by any earlier checkpoint a witness kept.

Its origin is `disclosure-workstation/<office log id>` and it is signed by the user who made it, with their own
checkpoint key (office/log_key.py, schema step 8: key name `<user>@<office log id>`), or, on an office before that
step, with the office key's (`office@<office log id>`). `verify --against` accepts a checkpoint signed by any office
user's key that the server keeps and the office log announces, and by the office key (checkpoints witnesses kept
before users had their own keys stay checkable); see log_key.py for what each proves.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence

from .. import checkpoint as cp
from .. import merkle
from ..errors import AuthError, InputError, TamperError
from ..model import CheckpointInfo, WitnessCheck
from ..office import log_key
from ..store.auditlog import entry_body
from ..store.office import checkpoint_keys
from ..store.office import log as office_log
from .office_records import OfficeCtx
from .office_session import OfficeLogReport, check_chain, log_rows


def _leaves(rows: Sequence[tuple[object, ...]]) -> list[bytes]:
    out = []
    for seq, ts, user, event, obj, detail, *_rest in rows:
        assert isinstance(seq, int) and isinstance(ts, str) and isinstance(event, str) and isinstance(detail, str)
        assert (user is None or isinstance(user, str)) and (obj is None or isinstance(obj, str))
        out.append(merkle.leaf_hash(entry_body(seq, ts, user, event, obj, detail)))
    return out


def _roots(leaves: Sequence[bytes], sizes: Collection[int]) -> dict[int, bytes]:
    """The tree's root at each of `sizes` (each at most len(leaves)) and at len(leaves), in one pass."""
    tree, out = merkle.Frontier(), {}
    wanted = set(sizes) | {len(leaves)}
    if 0 in wanted:
        out[0] = tree.root()
    for leaf in leaves:
        tree.add_fast(leaf)
        if tree.size in wanted:
            out[tree.size] = tree.root()
    return out


def _key(o: OfficeCtx) -> tuple[bytes, bytes]:
    if o.checkpoint_key is None:
        raise AuthError("this office session holds no checkpoint key (unlock the office as an enrolled user)")
    return o.checkpoint_key, log_key.public_of(o.checkpoint_key)


def log_id(o: OfficeCtx) -> str:
    """The office log's id (its checkpoints' origin: office/log_key.py)."""
    return log_key.log_id(_key(o)[1])


def sign_checkpoint(o: OfficeCtx) -> CheckpointInfo:
    """A signed checkpoint of the office log as it is now. Refused (TamperError) when the log's chain is broken:
    a checkpoint over a rewritten log would vouch for it."""
    return signed(o, log_rows(o))[0]


def signed(o: OfficeCtx, rows: Sequence[tuple[object, ...]]) -> tuple[CheckpointInfo, list[bytes]]:
    """A signed checkpoint over the office log entries `rows` (every one, in order: log_rows), and the tree's leaf
    hashes (what office_proofs.py proves against it). TamperError when their chain is broken."""
    office_private, office_public = _key(o)
    report = check_chain(list(rows))
    if not report.ok:
        raise TamperError(f"{report.problems[0]}; no checkpoint was signed (run 'dws verify')")
    size, leaves = len(rows), _leaves(rows)
    root = _roots(leaves, ())[size]
    if o.user_checkpoint_key is not None and o.user is not None:       # the user's own key (step 8)
        private, name = o.user_checkpoint_key, log_key.user_key_name(o.user, office_public)
    else:
        private, name = office_private, log_key.key_name(office_public)
    public = log_key.public_of(private)
    note = cp.make(cp.origin(log_key.log_id(office_public)), size, root, name, private)
    return (CheckpointInfo(size, root.hex(), note.note, o.user or log_key.KEY_NAME_USER, cp.verifier_key(name, public)),
            leaves)


def verifier_key(o: OfficeCtx, user: str | None = None) -> str:
    """A user's checkpoint verifier key (signed-note form, for any signed-note verifier): `user`'s newest one the
    office log announces (default: the signed-in user's); on an office before per-user keys, or for a session
    that signs with the office key, the office key's (`user` not named)."""
    _private, office_public = _key(o)
    if user is None and o.user_checkpoint_key is not None and o.user is not None:
        public = log_key.public_of(o.user_checkpoint_key)
        return cp.verifier_key(log_key.user_key_name(o.user, office_public), public)
    if user is None:
        return cp.verifier_key(log_key.key_name(office_public), office_public)
    keys = [(login, pub) for login, pub in _user_keys(o, office_public, log_rows(o)) if login == user]
    if keys:
        return cp.verifier_key(log_key.user_key_name(user, office_public), keys[-1][1])
    if not _has_user_keys(o):
        raise InputError("this office's log has one checkpoint key, the office's (its schema is older than per-user "
                         "checkpoint keys; the server's administrator upgrades it with 'dws office init'): name no "
                         "user")
    from . import office_users

    known = any(u.name == user for u in office_users.users(o))
    raise InputError(f"user {user!r} has no checkpoint key yet (one is made at the user's next unlock)" if known
                     else f"no user {user!r}")


def _has_user_keys(o: OfficeCtx) -> bool:
    return checkpoint_keys.exists(o.conn)


def _user_keys(o: OfficeCtx, office_public: bytes, rows: Sequence[tuple[object, ...]]) -> list[tuple[str, bytes]]:
    """(login, public key) of every user's checkpoint key the server keeps and the office log announces (a key put
    in the table without its entry, or announced but not kept, checks nothing), oldest first."""
    if not _has_user_keys(o):
        return []
    announced: set[tuple[str, bytes]] = set()
    for _seq, _ts, _user, event, obj, detail, *_rest in rows:
        if event != office_log.CHECKPOINT_KEY_EVENT or not isinstance(obj, str) or not isinstance(detail, str):
            continue
        try:
            name, public = cp.parse_verifier_key(json.loads(detail).get("verifier_key", ""))
        except (ValueError, AttributeError):
            continue
        if name == log_key.user_key_name(obj, office_public):
            announced.add((obj, public))
    return [(login, pub) for login, pub in checkpoint_keys.public_keys(o.conn) if (login, pub) in announced]


def check(o: OfficeCtx, witnesses: Sequence[tuple[str, cp.Checkpoint]]) -> tuple[OfficeLogReport, list[WitnessCheck]]:
    """The office log's chain, and each checkpoint against the log: from this office (its origin), signed by a user's
    checkpoint key the server keeps and the office log announces, or by the office key, and extended by the log as
    it is now, recomputed from the entries themselves (so an entry rewritten with every later hash recomputed is
    caught), with an RFC 9162 consistency proof."""
    _private, public = _key(o)
    rows = log_rows(o)
    report = check_chain(rows)
    leaves = _leaves(rows)
    n = len(leaves)
    roots = _roots(leaves, {c.size for _source, c in witnesses if c.size <= n})
    nodes = merkle.list_source(leaves)
    origin = cp.origin(log_key.log_id(public))
    keys = [(log_key.key_name(public), public, None),
            *((log_key.user_key_name(login, public), pub, login) for login, pub in _user_keys(o, public, rows))]
    results: list[WitnessCheck] = []
    good: list[int] = []
    for source, c in sorted(witnesses, key=lambda w: w[1].size):
        what = f"checkpoint {source} (size {c.size:,})"
        if c.origin != origin:
            results.append(WitnessCheck(source, None, None, False, f"{what} is from another store or office (this "
                                        f"office log's origin is {origin!r})"))
            continue
        signer = next(((name, login) for name, pub, login in keys if c.verify(name, pub)), None)
        if signer is None:
            results.append(WitnessCheck(source, c.size, None, False, f"{what} is not signed by a checkpoint key of "
                                        "this office (a user's the office log announces, or the office's): forged, "
                                        "or altered after it was signed"))
            continue
        name = signer[0]
        what += f", signed by {signer[1]}" if signer[1] else ", signed with the office's checkpoint key"
        first = report.first_bad_entry if report.first_bad_entry and report.first_bad_entry <= c.size else None
        low = max((g for g in good if g < c.size), default=0) + 1
        if c.size > n:
            results.append(WitnessCheck(source, c.size, name, False, f"{what}: the office log has only {n:,} "
                                        f"entries, so entries {n + 1}..{c.size} were removed",
                                        first or min(low, n + 1), c.size))
            continue
        if roots[c.size] != c.root:
            where = (f"entry {first} is the first that no longer matches" if first is not None else
                     f"an entry among {low}..{c.size} was changed, removed or reordered")
            results.append(WitnessCheck(source, c.size, name, False, f"{what}: the office log no longer extends "
                                        f"it; {where}", first or low, None if first else c.size))
            continue
        proof = merkle.consistency_proof(nodes, c.size, n)
        if not merkle.verify_consistency(c.size, n, c.root, roots[n], proof):
            results.append(WitnessCheck(source, c.size, name, False,
                                        f"{what}: the consistency proof to the current tree fails"))
            continue
        good.append(c.size)
        results.append(WitnessCheck(source, c.size, name, True))
    return report, results
