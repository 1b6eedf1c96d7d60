"""Inclusion proofs for the office log (issue 19; issue 12's `dws log prove`, for an office): one entry, or the
entries about one request, each a `dws.inclusion/1` proof exactly as the local store's (proofs.py, INTERCHANGE.md),
so docs/auditor/verify_log_proof.py checks it unchanged with the office's verifier key (`dws log key`).

The office keeps no stored tree and no stored checkpoints (office_witness.py): each proof is against a checkpoint
signed now with the user's checkpoint key, over the RFC 9162 tree recomputed on the desktop from the entries
themselves (their canonical bytes, store/auditlog.entry_body). A log whose chain is broken gets no proof (a proof
would vouch for it). What a proof alone cannot show is a rewrite that a superuser made on the server with every
later hash recomputed before the proof was asked for: the new checkpoint then commits to the rewritten log. An
auditor who kept an earlier checkpoint (a witness, a letter) catches it: the rewritten entry's proof no longer
leads to that checkpoint's root, and `dws verify --against` names the entry.

Two differences from the local store: an office logs no `log-proofs-exported` entry (the server lets an auditor
append only the entries that record what they read: store/office/log.py READING_EVENTS), and one taxpayer's views
are not proved (tests/engines.py LOCAL_ONLY says why).
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import checkpoint as cp
from .. import merkle
from ..errors import InputError, TamperError
from ..model import InclusionProof
from ..store.auditlog import entry_body
from ..store.office import evaluations as evaluations_sql
from . import office_errors
from .office_records import OfficeCtx
from .office_session import log_rows
from .office_witness import signed

Row = tuple[object, ...]


def _proofs(o: OfficeCtx, rows: Sequence[Row], seqs: Sequence[int]) -> list[InclusionProof]:
    """The proofs of entries `seqs` (each in `rows`) against one checkpoint signed now over `rows`."""
    if not seqs:
        return []
    info, leaves = signed(o, rows)
    c = cp.parse(info.note)
    nodes = merkle.list_source(leaves)
    out = []
    for seq in seqs:
        _seq, ts, user, event, obj, detail, *_rest = rows[seq - 1]
        assert isinstance(ts, str) and isinstance(event, str) and isinstance(detail, str)
        assert (user is None or isinstance(user, str)) and (obj is None or isinstance(obj, str))
        body = entry_body(seq, ts, user, event, obj, detail)
        leaf = merkle.leaf_hash(body)
        path = merkle.inclusion_proof(nodes, seq - 1, c.size)
        if leaf != leaves[seq - 1] or not merkle.verify_inclusion(leaf, seq - 1, c.size, path, c.root):
            raise TamperError(f"office log entry {seq} cannot be proved against the checkpoint; run 'dws verify'")
        out.append(InclusionProof(seq, c.note, leaf.hex(), tuple(h.hex() for h in path), body.decode("utf-8")))
    return out


def prove_entry(o: OfficeCtx, seq: int) -> InclusionProof:
    """One office log entry's proof; InputError for an entry the office log does not have."""
    if seq < 1:
        raise InputError("a log entry number (SEQ) is 1 or more")
    rows = log_rows(o)
    if seq > len(rows):
        raise InputError(f"no log entry {seq} (the log has {len(rows):,} entries)")
    return _proofs(o, rows, [seq])[0]


def prove_request(o: OfficeCtx, request_id: str) -> list[InclusionProof]:
    """Every office log entry about one request (import, evaluations, views, decisions, letters), with its proof;
    InputError for a request the office does not hold."""
    with office_errors.mapped(refused="the office server refuses it: your office role may not read the queue",
                              lost="office server unreachable: the connection ended while the request was looked "
                                   "up; try again when the server is back"):
        known = evaluations_sql.request_row(o.conn, request_id) is not None
    if not known:
        raise InputError(f"no request {request_id!r} in the store (see 'dws list')")
    rows = log_rows(o)
    return _proofs(o, rows, [i + 1 for i, r in enumerate(rows) if r[4] == request_id])   # seq i + 1: _proofs checks
