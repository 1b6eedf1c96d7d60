"""Signed decisions and two-person approval (domain/RULES.md "Outcomes"; DESIGN.md "Decisions").

The decision is a canonical JSON document; the preparer signs it with Ed25519 after giving the passphrase
again, and an approver who is not the preparer signs the very same bytes.
"""

from __future__ import annotations

import json
import secrets
from datetime import date
from typing import Any

from ..canonical import canonical_json, sha256_hex, utc_now
from ..errors import InputError, PermissionDenied
from ..keys import primitives as p
from ..letters.templates import letter_kind, template_version
from ..model import ELEMENT_CLASS, TRI
from ..results import DecisionExport, DecisionInfo
from ..store import auditlog, db
from ..store import decisions as dec
from ..store import evaluation as ev
from . import signing
from .context import Ctx
from .evaluation import evaluate
from .free_text import check_free_text

OUTCOMES = ("grant", "partial", "deny")
MIN_JUSTIFICATION = 20


def info(row: dec.DecisionRow, request_id: str) -> DecisionInfo:
    doc = json.loads(row.document)
    return DecisionInfo(
        decision_id=row.decision_id, request_id=request_id, outcome=row.outcome,
        recommendation=doc["recommendation"], status=row.status, needs_approval=doc["needs_approval"],
        preparer=row.preparer, preparer_fingerprint=p.fingerprint(row.preparer_key), prepared_at=row.prepared_at,
        approver=row.approver, approver_fingerprint=p.fingerprint(row.approver_key) if row.approver_key else None,
        approved_at=row.approved_at, doc_hash=row.doc_hash, letter_kind=doc["letter"]["kind"])


def _rid(s: Ctx, request_id: str) -> int:
    row = ev.package(s.conn, request_id)
    if row is None:
        raise InputError(f"no request {request_id!r} in the store (see 'dws list')")
    return int(row[0])


def current(s: Ctx, request_id: str) -> DecisionInfo | None:
    row = dec.current(s.conn, _rid(s, request_id))
    return info(row, request_id) if row else None


def decide(s: Ctx, request_id: str, outcome: str, justification: str | None, passphrase: str,
           as_of: date) -> DecisionInfo:
    if s.role != "reviewer":
        raise PermissionDenied(f"only a reviewer may decide a request (you are {s.role}); counsel and auditors "
                               "never decide")
    if outcome not in OUTCOMES:
        raise InputError(f"the outcome is one of {', '.join(OUTCOMES)}, not {outcome!r}")
    rid = _rid(s, request_id)
    existing = dec.current(s.conn, rid)
    if existing is not None and existing.status == "approved":
        raise InputError(f"request {request_id} is already decided and approved ({existing.decision_id})")
    if existing is not None and s.conn.execute("SELECT 1 FROM letters WHERE decision_id = ?",
                                               (existing.decision_id,)).fetchone():
        raise InputError(f"the letter for decision {existing.decision_id} was already issued; the decision stands")
    evaluation = evaluate(s, request_id, as_of)
    recommendation = evaluation["recommendation"]
    justification = (justification or "").strip() or None
    if recommendation == "blocked" and outcome != "deny":
        raise PermissionDenied("a court order blocks this request: it can only be denied")
    # The plan and findings were hashed as a stream while the evaluation wrote them (never loaded whole).
    plan_hash, findings_hash = evaluation["plan_hash"], evaluation["findings_hash"]
    tri_released = any(ELEMENT_CLASS.get(i) == TRI for i in evaluation["released_items"].split(",") if i)
    counts = evaluation["counts"]
    pkg = json.loads(ev.package(s.conn, request_id)[1])  # type: ignore[index]
    if outcome in ("grant", "partial"):
        if pkg["authority"] == "6103(i)(2)" and tri_released:
            raise PermissionDenied("taxpayer return information can never be released under 26 U.S.C. 6103(i)(2)")
        if counts["releasable"] == 0:
            raise InputError("the release plan releases nothing; decide deny (or change the plan with overrides)")
        if outcome == "grant" and recommendation == "partial":
            raise InputError("the release plan withholds some items, so the outcome is partial, not grant")
    against = not (outcome == recommendation or (recommendation == "blocked" and outcome == "deny"))
    if against and (justification is None or len(justification) < MIN_JUSTIFICATION):
        raise InputError(f"deciding {outcome} against the recommendation ({recommendation}) needs a written "
                         f"justification of at least {MIN_JUSTIFICATION} characters (--justification)")
    if justification:
        check_free_text(justification, "justification")
    bulk_review = any(f["code"] == "BULK" and f["outcome"] == "needs-review" for f in evaluation["request_findings"])
    needs_approval = outcome in ("grant", "partial") or bulk_review
    with signing.signer(s, passphrase) as signer:           # the passphrase is asked again right before signing
        public = signer.public_key
        head_seq, head_hash = auditlog.head(s.conn)
        decision_id = f"D-{secrets.token_hex(6).upper()}"
        document = canonical_json({
            "format": "dws.decision/1", "decision_id": decision_id,
            "store_id": s.conn.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0],
            "request_id": request_id, "request_hash": ev.package(s.conn, request_id)[3],  # type: ignore[index]
            "authority": pkg["authority"], "as_of": evaluation["as_of"],
            "recommendation": recommendation, "needs_review": evaluation["needs_review"], "outcome": outcome,
            "justification": justification, "counts": counts,
            "findings": {"request": [f for f in evaluation["request_findings"] if f["outcome"] != "pass"],
                         "by_code": evaluation["code_counts"], "subjects_hash": findings_hash},
            "plan_hash": plan_hash, "needs_approval": needs_approval,
            "letter": {"kind": letter_kind(outcome, pkg["authority"]), "template_version": template_version()},
            "decided_at": utc_now(), "log_head": {"seq": head_seq, "hash": head_hash},
            "preparer": {"name": s.user, "fingerprint": p.fingerprint(public)},
        })
        signature = signer.sign(document)
    doc_hash = sha256_hex(document)
    with db.transaction(s.conn):
        dec.insert(s.conn, decision_id=decision_id, rid=rid, document=document, doc_hash=doc_hash, outcome=outcome,
                   preparer=s.user or "", preparer_key=public, preparer_sig=signature, prepared_at=utc_now())
        ev.set_status(s.conn, rid, "approval-pending" if needs_approval else "decided")
        s.log("decision-signed", request_id, {"decision_id": decision_id, "outcome": outcome,
                                              "recommendation": recommendation, "doc_hash": doc_hash,
                                              "justification": justification, "needs_approval": needs_approval})
    row = dec.current(s.conn, rid)
    assert row is not None
    return info(row, request_id)


def approve(s: Ctx, request_id: str, passphrase: str, as_of: date) -> DecisionInfo:
    if s.role != "approver":
        raise PermissionDenied(f"only an approver may approve a decision (you are {s.role})")
    rid = _rid(s, request_id)
    row = dec.current(s.conn, rid)
    if row is None:
        raise InputError(f"request {request_id} has no decision to approve; a reviewer decides first")
    if row.status == "approved":
        raise InputError(f"decision {row.decision_id} is already approved by {row.approver}")
    if row.preparer == s.user:
        raise PermissionDenied("the approver must be a different person from the preparer (two-person rule)")
    doc: dict[str, Any] = json.loads(row.document)
    evaluation = evaluate(s, request_id, as_of)
    if evaluation["plan_hash"] != doc["plan_hash"] or evaluation["recommendation"] != doc["recommendation"]:
        raise InputError("the evaluation changed since the decision was signed (records, court orders, settings "
                         "or overrides); the reviewer must decide again")
    with signing.signer(s, passphrase) as signer:
        public = signer.public_key
        signature = signer.sign(row.document)
    with db.transaction(s.conn):
        dec.approve(s.conn, row.decision_id, approver=s.user or "", approver_key=public, approver_sig=signature,
                    approved_at=utc_now())
        ev.set_status(s.conn, rid, "approved")
        s.log("decision-approved", request_id, {"decision_id": row.decision_id, "doc_hash": row.doc_hash})
    new = dec.current(s.conn, rid)
    assert new is not None
    return info(new, request_id)


def export(s: Ctx, request_id: str) -> DecisionExport:
    """The signed bytes, each signature (raw 64 bytes) and each signer's public key as PEM."""
    rid = _rid(s, request_id)
    row = dec.current(s.conn, rid)
    if row is None:
        raise InputError(f"request {request_id} has no signed decision")
    files = {"decision.json": row.document, "preparer.sig": row.preparer_sig,
             "preparer.pem": p.public_pem(row.preparer_key)}
    if row.approver_sig and row.approver_key:
        files["approver.sig"] = row.approver_sig
        files["approver.pem"] = p.public_pem(row.approver_key)
    with db.transaction(s.conn):
        s.log("decision-exported", request_id, {"decision_id": row.decision_id})
    return DecisionExport(row.decision_id, files)


__all__ = ["DecisionInfo", "approve", "current", "decide", "export"]
