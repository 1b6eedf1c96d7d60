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

One taxpayer's views (`--tin-file`) are the log's view entries (proofs.VIEW_EVENTS) about a subject that names the
TIN (request_subjects.tin_index) or that an evaluation matched to the taxpayer with it (dws.subject_matches, every
evaluation's, so a view under an earlier match is found too: store/office/matches.py); the subjects are opened here
for their refs, which the view entries carry. A subject matched to one taxpayer, then (records loaded since) to
another, has its views listed for both: a view is never left out of a taxpayer's list, at the cost of one made
under the other match. (Opening a request records a new evaluation when its matches changed even though its
findings did not: office_open._record; not once a decision is signed on it, as for any change.) An office upgraded
from before schema step 7 has no matches for the evaluations recorded before it: the proofs come with a notice
naming how many requests that leaves out, rather than a list an auditor could take for complete.

Exporting proofs logs `log-proofs-exported` exactly as the local store does (proofs.exported). The server accepts
it from an auditor since schema step 7 (store/office/log.py READING_EVENTS); on an older office the proofs are
still given, with a notice that the export was not logged: the proofs read what every role may read, and refusing
them would keep an auditor from checking the log until the administrator upgrades it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import checkpoint as cp
from .. import merkle
from ..errors import InputError, TamperError
from ..model import InclusionProof, TaxpayerViews
from ..office.request_seal import open_subject
from ..store.auditlog import entry_body
from ..store.office import evaluations as evaluations_sql
from ..store.office import matches as matches_sql
from ..store.office import requests as requests_sql
from ..wording import count
from . import office_errors
from .office_records import OfficeCtx
from .office_session import log_rows
from .office_witness import signed
from .proofs import exported, tin_nine, view_seqs

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
    proofs = _proofs(o, rows, [i + 1 for i, r in enumerate(rows) if r[4] == request_id])  # seq i + 1: _proofs checks
    _note(o, request_id, exported("request", len(proofs)))
    return proofs


UNCOVERED = ("{n} evaluated before this office recorded subjects' matches (schema step 7) {are} not covered: a view "
             "of this taxpayer matched there by name and address, not named by TIN, may be missing from this list")
UNLOGGED = ("this office was made before it logs an export of proofs (schema step 7): the proofs were not logged; "
            "the server's administrator upgrades it with 'dws --user DBADMIN office init --profile FILE'")


def prove_taxpayer_views(o: OfficeCtx, tin: str) -> TaxpayerViews:
    """Every office log entry of a view of one taxpayer's data (preview or unredacted, any request naming the TIN
    or matched to the taxpayer with it), with its proof (see the module's docstring); the TIN is never logged or
    sent to the server (its blind index is)."""
    tin9 = tin_nine(tin)
    index = o.keys.tin_index(tin9)
    assert index is not None
    with office_errors.mapped(refused="the office server refuses it: your office role may not read the queue",
                              lost="office server unreachable: the connection ended while the subjects were looked "
                                   "up; try again when the server is back"):
        addressed = requests_sql.has_address_index(o.conn)
        found = matches_sql.subjects_of_taxpayer(o.conn, index, addressed)
        uncovered = matches_sql.unmatched_requests(o.conn)
    subjects = {(str(rid), str(open_subject(o.keys, row)[0])) for rid, *row in found}
    rows = log_rows(o)
    seqs = view_seqs(((int(str(r[0])), str(r[3]), None if r[4] is None else str(r[4]), str(r[5])) for r in rows),
                     subjects)
    proofs = _proofs(o, rows, seqs)
    notices = [UNCOVERED.format(n=count(uncovered, "request"), are="is" if uncovered == 1 else "are")] if uncovered \
        else []
    _note(o, None, exported("taxpayer", len(proofs)))
    return TaxpayerViews(proofs, tuple(notices))


def proofs_logged(o: OfficeCtx) -> bool:
    """Whether this office logs an export of proofs (schema step 7; `_note`)."""
    with office_errors.mapped(refused="the office server refuses it: your office role may not read the queue",
                              lost="office server unreachable: try again when the server is back"):
        return matches_sql.exists(o.conn)


def _note(o: OfficeCtx, obj: str | None, detail: dict[str, Any]) -> None:
    """Log `log-proofs-exported` as the local store does; nothing on an office before schema step 7 (its server
    refuses the entry from an auditor: it is logged by no role there, the same on every desktop; the command says
    so: UNLOGGED)."""
    with office_errors.mapped(refused="the office server refuses it: the export of proofs could not be logged",
                              lost="office server unreachable: the export of proofs could not be logged; try again "
                                   "when the server is back"):
        if not matches_sql.exists(o.conn):
            return
        with o.conn.transaction():
            o.log("log-proofs-exported", obj, detail)
