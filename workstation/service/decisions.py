"""Signed decisions and two-person approval (domain/RULES.md "Outcomes"; DESIGN.md "Decisions").

The decision is a canonical JSON document; the preparer signs it with Ed25519 after giving the passphrase
again, and an approver who is not the preparer signs the very same bytes.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from ..canonical import canonical_json, sha256_hex, utc_now
from ..crypto import rng
from ..errors import AuthError, InputError, PermissionDenied
from ..keys import primitives as p
from ..letters.templates import letter_kind, template_version
from ..model import ELEMENT_CLASS, TRI, SigningSummary
from ..results import DecisionExport, DecisionInfo, EvaluationDoc
from ..store import auditlog, db, logtree
from ..store import decisions as dec
from ..store import evaluation as ev
from ..store import letters as letters_sql
from ..store import users as users_sql
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
    """Prepare the decision and sign it in one go (`dws decide`): nothing is shown in between, so the document
    is made once and signed as made (`sign` makes it again to see that the one shown still holds)."""
    return _sign(s, prepare(s, request_id, outcome, justification, as_of), passphrase)


def prepare(s: Ctx, request_id: str, outcome: str, justification: str | None, as_of: date,
            fixed: tuple[str, str, tuple[int, str]] | None = None) -> SigningSummary:
    """Every check a decision must pass, then the canonical decision document as it will be signed (nothing
    stored): shown to the reviewer, with its hash, before the passphrase. `fixed` (decision id, time, log head)
    remakes a prepared document to see whether it still holds."""
    if s.role != "reviewer":
        raise PermissionDenied(f"only a reviewer may decide a request (you are {s.role}); counsel and auditors "
                               "never decide")
    if outcome not in OUTCOMES:
        raise InputError(f"the outcome is one of {', '.join(OUTCOMES)}, not {outcome!r}")
    rid = _rid(s, request_id)
    existing = dec.current(s.conn, rid)
    if existing is not None and existing.status == "approved":
        raise InputError(f"request {request_id} is already decided and approved ({existing.decision_id})")
    if existing is not None and letters_sql.for_decision(s.conn, existing.decision_id) is not None:
        raise InputError(f"the letter for decision {existing.decision_id} was already issued; the decision stands")
    evaluation = evaluate(s, request_id, as_of)
    recommendation = evaluation["recommendation"]
    justification = (justification or "").strip() or None
    if recommendation == "blocked" and outcome != "deny":
        raise PermissionDenied("a court order blocks this request: it can only be denied")
    # The plan and findings were hashed as a stream while the evaluation wrote them (never loaded whole).
    plan_hash, findings_hash = evaluation["plan_hash"], evaluation["findings_hash"]
    released_items = tuple(i for i in evaluation["released_items"].split(",") if i)
    tri_released = any(ELEMENT_CLASS.get(i) == TRI for i in released_items)
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
    public = users_sql.public_key(s.conn, s.user or "")
    if public is None:
        raise PermissionDenied("a decision is signed by a user with a signing key (not a recovery-code session)")
    decision_id, decided_at, (head_seq, head_hash) = fixed or (
        f"D-{rng.token_hex(6).upper()}", utc_now(), auditlog.head(s.conn))
    fingerprint = p.fingerprint(public)
    document = canonical_json({
        "format": "dws.decision/1", "decision_id": decision_id,
        "store_id": logtree.store_id(s.conn),
        "request_id": request_id, "request_hash": ev.package(s.conn, request_id)[3],  # type: ignore[index]
        "authority": pkg["authority"], "as_of": evaluation["as_of"],
        "recommendation": recommendation, "needs_review": evaluation["needs_review"], "outcome": outcome,
        "justification": justification, "counts": counts,
        "findings": {"request": [f for f in evaluation["request_findings"] if f["outcome"] != "pass"],
                     "by_code": evaluation["code_counts"], "subjects_hash": findings_hash},
        "plan_hash": plan_hash, "needs_approval": needs_approval,
        "letter": {"kind": letter_kind(outcome, pkg["authority"]), "template_version": template_version()},
        "decided_at": decided_at, "log_head": {"seq": head_seq, "hash": head_hash},
        "preparer": {"name": s.user, "fingerprint": fingerprint},
    })
    return _summary(document, released_items, s.user or "", fingerprint)


def _summary(document: bytes, released_items: tuple[str, ...], preparer: str, fingerprint: str) -> SigningSummary:
    doc = json.loads(document)
    counts, deny = doc["counts"], doc["outcome"] == "deny"
    released = 0 if deny else int(counts["releasable"])
    withheld = int(counts["withheld"]) + (int(counts["releasable"]) if deny else 0)
    return SigningSummary(
        request_id=doc["request_id"], decision_id=doc["decision_id"], outcome=doc["outcome"],
        recommendation=doc["recommendation"], justification=doc["justification"],
        needs_approval=doc["needs_approval"], released_items=() if deny else released_items,
        subjects=int(counts["subjects"]), released=released, withheld=withheld, no_record=int(counts["no_record"]),
        preparer=preparer, preparer_fingerprint=fingerprint, as_of=doc["as_of"], doc_hash=sha256_hex(document),
        document=document)


def sign(s: Ctx, draft: SigningSummary, passphrase: str) -> DecisionInfo:
    """Sign the decision document `prepare` made, if it still holds: the same checks pass and the request, its
    evaluation and plan are what they were, so the bytes signed are the ones shown and their hash the one
    stored. Else nothing is signed."""
    doc = json.loads(draft.document)
    fixed = (draft.decision_id, doc["decided_at"], (doc["log_head"]["seq"], doc["log_head"]["hash"]))
    again = prepare(s, draft.request_id, draft.outcome, draft.justification, date.fromisoformat(draft.as_of), fixed)
    if again.document != draft.document:
        raise InputError(f"request {draft.request_id} changed since its decision was prepared (its records, "
                         "court orders, settings, overrides or decision); nothing was signed: look at it again")
    return _sign(s, draft, passphrase)


def _sign(s: Ctx, draft: SigningSummary, passphrase: str) -> DecisionInfo:
    """Ask for the passphrase (or the card's PIN) again, sign the document `prepare` made just now and store
    the decision with its status and log entry."""
    with signing.signer(s, passphrase) as signer:           # the passphrase is asked again right before signing
        public = signer.public_key
        if p.fingerprint(public) != draft.preparer_fingerprint:
            raise AuthError(f"the key that signs is not the one enrolled for {s.user}; nothing was signed")
        signature = signer.sign(draft.document)
    rid = _rid(s, draft.request_id)
    request_id, decision_id, outcome = draft.request_id, draft.decision_id, draft.outcome
    with db.transaction(s.conn):
        dec.insert(s.conn, decision_id=decision_id, rid=rid, document=draft.document, doc_hash=draft.doc_hash,
                   outcome=outcome, preparer=s.user or "", preparer_key=public, preparer_sig=signature,
                   prepared_at=utc_now())
        ev.set_status(s.conn, rid, "approval-pending" if draft.needs_approval else "decided")
        s.log("decision-signed", request_id, {"decision_id": decision_id, "outcome": outcome,
                                              "recommendation": draft.recommendation, "doc_hash": draft.doc_hash,
                                              "justification": draft.justification,
                                              "needs_approval": draft.needs_approval})
    row = dec.current(s.conn, rid)
    assert row is not None
    return info(row, request_id)


def _to_approve(s: Ctx, request_id: str) -> tuple[int, dec.DecisionRow]:
    """The request's decision an approver may approve now (refusals in the approver's words)."""
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
    return rid, row


def _unchanged(evaluation: EvaluationDoc, doc: dict[str, Any]) -> None:
    if evaluation["plan_hash"] != doc["plan_hash"] or evaluation["recommendation"] != doc["recommendation"]:
        raise InputError("the evaluation changed since the decision was signed (records, court orders, settings "
                         "or overrides); the reviewer must decide again")


def approval_summary(s: Ctx, request_id: str, as_of: date) -> SigningSummary:
    """What approving the request's decision signs: the stored decision document (its hash is the one stored
    with it), with the items its release plan releases (from the evaluation it was signed on)."""
    row = _to_approve(s, request_id)[1]
    evaluation, doc = evaluate(s, request_id, as_of), json.loads(row.document)
    _unchanged(evaluation, doc)
    items = tuple(i for i in evaluation["released_items"].split(",") if i)
    return _summary(row.document, items, row.preparer, doc["preparer"]["fingerprint"])


def approve(s: Ctx, request_id: str, passphrase: str, as_of: date,
            expected_hash: str | None = None) -> DecisionInfo:
    """The approver's signature on the very bytes the preparer signed; with `expected_hash` (the hash shown to
    the approver) only if the decision is still that one."""
    rid, row = _to_approve(s, request_id)
    if expected_hash is not None and row.doc_hash != expected_hash:
        raise InputError(f"the decision on {request_id} changed since it was shown (now {row.decision_id}); "
                         "nothing was signed: look at it again")
    _unchanged(evaluate(s, request_id, as_of), json.loads(row.document))
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


__all__ = ["DecisionInfo", "approval_summary", "approve", "current", "decide", "export", "prepare", "sign"]
