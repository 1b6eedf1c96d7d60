"""Checkpoints of the office log and `verify --against` for an office store (issue 19 item 3; issue 12's witness,
for the office).

A checkpoint is the local log's (INTERCHANGE.md, checkpoint.py): C2SP tlog-checkpoint text signed as a signed note
with Ed25519, over the RFC 9162 Merkle tree whose leaves are the entries' canonical bytes (store/auditlog.entry_body,
the bytes the office log's chain hashes too). The office keeps no stored tree: the tree is computed from the
entries on the desktop, so a superuser who rewrites an entry and every hash after it, or cuts the log's tail, on the
server is caught by any earlier checkpoint a witness kept. A checkpoint extends the state this desktop last verified
(office_log_cache.py) by the entries since, when entry N is unchanged; else it recomputes from every entry
(tree_head says what each proves). `verify --against` and the proofs always read and hash the whole log.

Its origin is `disclosure-workstation/<office log id>` and it is signed by the user who made it, with their own
checkpoint key (office/log_key.py, schema step 8: key name `<user>@<office log id>`), or, on an office before that
step, with the office key's (`office@<office log id>`). `verify --against` accepts a checkpoint signed by any office
user's key that the server keeps and the office log announces, and by the office key (checkpoints witnesses kept
before users had their own keys stay checkable); see log_key.py for what each proves.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import NamedTuple

from .. import checkpoint as cp
from .. import merkle
from ..errors import AuthError, InputError, TamperError
from ..keys.pkcs11 import CardEd25519
from ..keys.signer import SoftwareSigner
from ..model import CheckpointInfo, WitnessCheck
from ..office import log_key
from ..store.auditlog import entry_body
from ..store.office import checkpoint_keys
from ..store.office import log as office_log
from . import office_card, office_log_cache
from .office_records import OfficeCtx
from .office_session import OfficeLogReport, check_chain, log_rows, log_rows_from


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


class TreeHead(NamedTuple):
    size: int
    root: bytes
    incremental: bool       # extended from this desktop's verified state (office_log_cache.py), not recomputed


def sign_checkpoint(o: OfficeCtx) -> CheckpointInfo:
    """A signed checkpoint of the office log as it is now (tree_head). Refused (TamperError) when the chain it
    checks is broken (the whole log's, or from the last entry this desktop verified on: tree_head says which): a
    checkpoint over a rewritten log would vouch for it."""
    size, root, _incremental = tree_head(o)
    return _signed_head(o, size, root)


def tree_head(o: OfficeCtx) -> TreeHead:
    """The office log's tree size and root now, from this desktop's last verified state when it can
    (office_log_cache.py: size N, the Merkle frontier at N, entry N's chain hash), else from every entry.

    The incremental path reads entry N and the entries after it only. It is taken when entry N is still there, its
    stored hash is the one cached, its hash is still that of its content, and the new entries chain from it whole;
    the frontier is then extended by the new entries' leaves. What it proves: the log as it is now extends, entry for
    entry, the history this desktop verified up to N (the tree and the chain it checked then), with entries N+1..
    chained to entry N's unchanged hash. What it does not: that entries 1..N-1 are on the server as they were. A
    superuser who rewrites an entry before N and recomputes every later hash up to the head changes entry N's hash,
    so this path is not taken and the full recomputation below refuses or re-signs exactly as without a cache; one
    who rewrites an old entry's content but leaves every hash as it was is not seen here (`dws verify` walks the
    whole chain and finds it, and so does any witness's earlier checkpoint with `verify --against`), and the
    checkpoint signed still commits to the history this desktop verified, never to the rewrite. Anything else
    (no cache, an unreadable or foreign one, a log cut to fewer than N entries, a broken chain after N) takes the
    full path: every entry read, the whole chain checked (TamperError when broken, no checkpoint), the tree
    recomputed. Either way the state verified is saved for the next time."""
    office_private, office_public = _key(o)
    log = log_key.log_id(office_public)
    cached = office_log_cache.load(log, office_private)
    if cached is not None:
        rows = log_rows_from(o, cached.size)
        if rows and rows[0][0] == cached.size and rows[0][7] == cached.head and isinstance(rows[0][6], str) \
                and check_chain(rows, after=(cached.size - 1, rows[0][6])).ok:
            frontier = cached.frontier()
            for leaf in _leaves(rows[1:]):
                frontier.add_fast(leaf)
            office_log_cache.save(log, office_private, frontier.size, str(rows[-1][7]), frontier)
            return TreeHead(frontier.size, frontier.root(), True)
    rows = log_rows(o)
    _check_whole(rows)
    frontier = _frontier(_leaves(rows))
    _remember(o, rows, frontier)
    return TreeHead(frontier.size, frontier.root(), False)


def _check_whole(rows: Sequence[tuple[object, ...]]) -> None:
    report = check_chain(list(rows))
    if not report.ok:
        raise TamperError(f"{report.problems[0]}; no checkpoint was signed (run 'dws verify')")


def _frontier(leaves: Sequence[bytes]) -> merkle.Frontier:
    tree = merkle.Frontier()
    for leaf in leaves:
        tree.add_fast(leaf)
    return tree


def _remember(o: OfficeCtx, rows: Sequence[tuple[object, ...]], frontier: merkle.Frontier) -> None:
    """Keep the state just verified over the whole log `rows` (office_log_cache.py)."""
    office_private, office_public = _key(o)
    if rows:
        office_log_cache.save(log_key.log_id(office_public), office_private, len(rows), str(rows[-1][7]), frontier)


def signed(o: OfficeCtx, rows: Sequence[tuple[object, ...]]) -> tuple[CheckpointInfo, list[bytes]]:
    """A signed checkpoint over the office log entries `rows` (every one, in order: log_rows), and the tree's leaf
    hashes (what office_proofs.py proves against it). TamperError when their chain is broken."""
    _check_whole(rows)
    leaves = _leaves(rows)
    frontier = _frontier(leaves)
    _remember(o, rows, frontier)
    return _signed_head(o, len(rows), frontier.root()), leaves


def _signed_head(o: OfficeCtx, size: int, root: bytes) -> CheckpointInfo:
    """Signed with the user's own key (step 8; on their card while it is open: step 10, office_card.py), else the
    office key's; AuthError when the user's key is on their card and the card is not open."""
    office_private, office_public = _key(o)
    key: SoftwareSigner | CardEd25519 | None = office_card.checkpoint_signer(o) if o.user is not None else None
    if key is not None and o.user is not None:
        name = log_key.user_key_name(o.user, office_public)
    elif office_card.checkpoint_on_card(o):
        raise AuthError(office_card.CARD_NEEDED)
    else:
        key, name = SoftwareSigner(office_private), log_key.key_name(office_public)
    note = cp.make_with(cp.origin(log_key.log_id(office_public)), size, root, name, key)
    return CheckpointInfo(size, root.hex(), note.note, o.user or log_key.KEY_NAME_USER,
                          cp.verifier_key(name, key.public_key))


def verifier_key(o: OfficeCtx, user: str | None = None) -> str:
    """A user's checkpoint verifier key (signed-note form, for any signed-note verifier): `user`'s newest one the
    office log announces (default: the signed-in user's); on an office before per-user keys, or for a session
    that signs with the office key, the office key's (`user` not named)."""
    _private, office_public = _key(o)
    own = (log_key.public_of(o.user_checkpoint_key) if o.user_checkpoint_key is not None
           else o.card_checkpoint_key)                                  # the user's own: in software, or on the card
    if user is None and own is not None and o.user is not None:
        return cp.verifier_key(log_key.user_key_name(o.user, office_public), own)
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
