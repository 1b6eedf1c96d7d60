"""Inclusion proofs (`dws.inclusion/1`): one entry, the entries about one request, or one taxpayer's views.

Each proof is against the newest checkpoint the store has signed that holds the entry (a new one is made
when none does), so an auditor checks it with that checkpoint's verifier key and the stand-alone
docs/auditor/verify_log_proof.py. A TIN given to find a taxpayer's views is never logged or printed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from .. import checkpoint as cp
from .. import merkle
from ..errors import InputError, TamperError
from ..model import InclusionProof, TaxpayerViews
from ..store import auditlog, db, logtree
from ..store import requests as requests_sql
from . import witness
from .context import Ctx

VIEW_EVENTS = ("preview-viewed", "unredacted-viewed")


def _checkpoint(s: Ctx, min_size: int) -> cp.Checkpoint:
    size = logtree.size(s.conn)
    note = logtree.latest_checkpoint(s.conn, min_size)
    if note is not None:
        c = cp.parse(note)
        if c.size <= size and logtree.root(s.conn, c.size) == c.root:
            return c
    return cp.parse(witness.make_checkpoint(s).note)


def _proof(s: Ctx, c: cp.Checkpoint, seq: int) -> InclusionProof:
    row = auditlog.entry_row(s.conn, seq)
    if row is None or seq > c.size:
        raise InputError(f"no log entry {seq} (the log has {logtree.size(s.conn):,} entries)")
    body = auditlog.entry_body(*row)
    leaf = merkle.leaf_hash(body)
    nodes = logtree.node_source(s.conn)
    path = merkle.inclusion_proof(nodes, seq - 1, c.size)
    if not merkle.verify_inclusion(leaf, seq - 1, c.size, path, c.root):
        raise TamperError(f"log entry {seq} cannot be proved against the checkpoint; run 'dws verify'")
    return InclusionProof(seq, c.note, leaf.hex(), tuple(h.hex() for h in path), body.decode("utf-8"))


def prove_entry(s: Ctx, seq: int) -> InclusionProof:
    s.require("read-log")
    if seq < 1:
        raise InputError("a log entry number (SEQ) is 1 or more")
    return _proof(s, _checkpoint(s, seq), seq)


def _prove_all(s: Ctx, seqs: list[int]) -> list[InclusionProof]:
    if not seqs:
        return []
    c = _checkpoint(s, max(seqs))
    return [_proof(s, c, seq) for seq in seqs]


def prove_request(s: Ctx, request_id: str) -> list[InclusionProof]:
    """Every entry about one request (import, evaluations, views, decisions, letters), with its proof."""
    s.require("read-log")
    if requests_sql.find(s.conn, request_id) is None:
        raise InputError(f"no request {request_id!r} in the store (see 'dws list')")
    proofs = _prove_all(s, [seq for seq, _obj, _detail in auditlog.seqs_about(s.conn, [request_id])])
    _note(s, "log-proofs-exported", request_id, exported("request", len(proofs)))
    return proofs


def tin_nine(tin: str) -> str:
    """The nine digits of a TIN given to `log prove --tin-file`; InputError (never quoting it) otherwise."""
    tin9 = re.sub(r"[\s-]", "", tin)
    if not re.fullmatch(r"\d{9}", tin9):
        raise InputError("a TIN has nine digits (dashes and spaces allowed)")
    return tin9


def view_seqs(entries: Iterable[tuple[int, str, str | None, str]], subjects: set[tuple[str, str]]) -> list[int]:
    """The seqs of the view entries among (seq, event, object, detail JSON) that are about one of `subjects`
    (request id, subject ref)."""
    return [seq for seq, event, obj, detail in entries
            if event in VIEW_EVENTS and (obj, json.loads(detail).get("ref")) in subjects]


def prove_taxpayer_views(s: Ctx, tin: str) -> TaxpayerViews:
    """Every view of one taxpayer's data (preview or unredacted, any request naming the TIN or matched to
    the taxpayer with it), with its proof. The entries carry request ids and subject refs, never the TIN."""
    s.require("read-log")
    tin9 = tin_nine(tin)
    subjects = set(requests_sql.subjects_of_taxpayer(s.conn, tin9))
    requests = sorted({rid for rid, _ref in subjects})
    seqs = view_seqs(((seq, VIEW_EVENTS[0], obj, detail)
                      for seq, obj, detail in auditlog.seqs_about(s.conn, requests, VIEW_EVENTS)), subjects)
    proofs = _prove_all(s, seqs)
    _note(s, "log-proofs-exported", None, exported("taxpayer", len(proofs)))
    return TaxpayerViews(proofs)


def exported(by: str, entries: int) -> dict[str, Any]:
    """The detail of a `log-proofs-exported` entry (on both engines): by request or by taxpayer, how many."""
    return {"by": by, "entries": entries}


def _note(s: Ctx, event: str, obj: str | None, detail: dict[str, Any]) -> None:
    with db.transaction(s.conn):
        s.log(event, obj, detail)
