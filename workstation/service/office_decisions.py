"""`dws decide`, `dws approve` and `dws export decision` on an office store (issue 19, i19d).

The preparer's desktop evaluates the request on a working copy (service/office_evaluation.working_copy: the local
evaluation, unchanged), runs the local store's `decisions.prepare` on it (every check a decision must pass, the
same messages; the document names the evaluation it signs: its findings and plan hashes and the request's hash,
the office log's head, the office's log id as its store), signs the very bytes with the user's own signing key
(office/signing_key.py, opened by the same unlock) and records the decision in the office, sealed (the document
and the signature; table "decisions", its id, request and hash in the associated data) with its office log entry
in one transaction. The server checks again who signs (store/office/decisions.py).

The approver's desktop evaluates the request again in its own working copy and compares: when the request or its
evaluation changed after the preparer signed, nothing is signed. Else it checks the preparer's signature and
signs the same bytes. Two approvers racing: the server takes one approval per decision (the second is told, in
one line, who approved it).

The office log's entries carry the local store's details but for a justification's text, which would reach the
server in clear (whether there is one is logged).
"""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any

from ..canonical import canonical_json, sha256_hex, utc_now
from ..crypto import rng
from ..errors import AuthError, InputError, PermissionDenied, TamperError
from ..keys import primitives as p
from ..model import SigningSummary
from ..office import log_key
from ..office.sealing import SealError
from ..results import DecisionExport, DecisionInfo, EvaluationDoc
from ..store import evaluation as ev
from ..store import office_copy
from ..store.office import decisions as decisions_sql
from ..store.office import evaluations as evaluations_sql
from ..store.office import log as office_log
from ..store.office import signing_keys
from . import decisions, office_card, office_errors, office_evaluation
from .office_records import OfficeCtx

OLDER_OFFICE = ("this office's database was made before offices kept decisions; make the office again with this "
                "version's 'dws office init' or 'dws office demo' on a new folder")
UNREACHABLE = ("office server unreachable: the connection ended before the {what} was recorded; nothing was signed in "
               "the office (try again when the server is back)")


def _binding(decision_id: str, request: int, doc_hash: str, who: str) -> str:
    """The sealed value's row id: the decision, its request, its hash and the signer (a sealed document moved to
    another decision, request or signer does not open)."""
    return f"{decision_id}|{request}|{doc_hash}|{who}"


def _seal(o: OfficeCtx, table: str, row: str, fields: dict[str, bytes]) -> bytes:
    return o.keys.seal(table, row, canonical_json({k: base64.b64encode(v).decode("ascii") for k, v in fields.items()}))


def _open(o: OfficeCtx, table: str, row: str, sealed: bytes, what: str) -> dict[str, bytes]:
    try:
        found = json.loads(o.keys.open(table, row, sealed))
    except SealError:
        raise TamperError(f"{what} was tampered with on the office server (its sealed value does not open for it); "
                          "restore the office from a backup and ask who changed it") from None
    return {k: base64.b64decode(v) for k, v in found.items()}


def _errors(o: OfficeCtx, what: str, run: Any, nothing: str = "nothing was signed") -> Any:
    """Run `run()` in one office transaction; the server's refusals as one line each."""
    again = f"{{said}}; {nothing}: look at it again"          # {said}: the server's words (office_errors)
    with office_errors.mapped(refused=f"the office server refuses it: {{said}}; {nothing}",
                              duplicate=f"{{said}}; {nothing}", checked=again, raced=again,
                              older=OLDER_OFFICE + "; nothing was changed", lost=UNREACHABLE.format(what=what)), \
            o.conn.transaction():
        return run()


def store_id(o: OfficeCtx) -> str:
    if o.checkpoint_key is None:
        raise AuthError("this office session holds no office key (unlock the office as an enrolled user)")
    return log_key.log_id(log_key.public_of(o.checkpoint_key))


def signers(o: OfficeCtx) -> dict[str, tuple[str, bytes]]:
    """Every office user's public signing key, as the working copy's users (their role there does not matter)."""
    return {login: ("reviewer", key) for login, key in signing_keys.public_keys(o.conn).items()}


def _info(o: OfficeCtx, row: decisions_sql.DecisionRow, request_id: str) -> DecisionInfo:
    document = opened(o, row)["document"]
    doc = json.loads(document)
    return DecisionInfo(
        decision_id=row.decision_id, request_id=request_id, outcome=row.outcome,
        recommendation=doc["recommendation"], status="approved" if row.approver else "signed",
        needs_approval=row.needs_approval, preparer=row.preparer, preparer_fingerprint=p.fingerprint(row.preparer_key),
        prepared_at=row.prepared_at, approver=row.approver,
        approver_fingerprint=p.fingerprint(row.approver_key) if row.approver_key else None,
        approved_at=row.approved_at, doc_hash=row.doc_hash, letter_kind=doc["letter"]["kind"])


def opened(o: OfficeCtx, row: decisions_sql.DecisionRow) -> dict[str, bytes]:
    """The signed document and the preparer's signature of a decision row, opened and checked here."""
    opened = _open(o, decisions_sql.DECISIONS_TABLE, _binding(row.decision_id, row.request, row.doc_hash, row.preparer),
                   row.sealed, f"decision {row.decision_id}")
    document, signature = opened["document"], opened["signature"]
    if sha256_hex(document) != row.doc_hash or not p.verify(row.preparer_key, signature, document):
        raise TamperError(f"decision {row.decision_id}: the signed document or the preparer's signature does not "
                          "verify; restore the office from a backup and ask who changed it")
    return opened


def approval_signature(o: OfficeCtx, row: decisions_sql.DecisionRow) -> bytes | None:
    if row.approver is None or row.approval_sealed is None or row.approver_key is None:
        return None
    signature = _open(o, decisions_sql.APPROVALS_TABLE, _binding(row.decision_id, row.request, row.doc_hash,
                                                                 row.approver),
                      row.approval_sealed, f"the approval of decision {row.decision_id}")["signature"]
    if not p.verify(row.approver_key, signature, opened(o, row)["document"]):
        raise TamperError(f"decision {row.decision_id}: the approver's signature does not verify; restore the office "
                          "from a backup and ask who changed it")
    return signature


def decide(o: OfficeCtx, request_id: str, outcome: str, justification: str | None, as_of: date,
           shown: SigningSummary | None = None) -> DecisionInfo:
    """Prepare (the local checks, on a working copy) and sign the decision, and record it in the office. With
    `shown` (the document the GUI showed before the passphrase: office_desktop_request.prepare_decision) only that
    very document is signed, if made again it is still the same; else nothing is signed."""
    login = o.user or ""
    with office_evaluation.working_copy(o, request_id, as_of) as wc:
        if wc.role == "preparer" and wc.claimed_by is not None and wc.claimed_by != login:
            raise PermissionDenied(f"request {request_id} is claimed by {wc.claimed_by}: only they may decide it; "
                                   "nothing was signed")
        existing = decisions_sql.current(o.conn, wc.request)
        if existing is not None and existing.approver is not None:
            raise InputError(f"request {request_id} is already decided and approved ({existing.decision_id})")
        if existing is not None and decisions_sql.letter_for(o.conn, existing.decision_id) is not None:
            raise InputError(f"the letter for decision {existing.decision_id} was already issued; the decision stands")
        office_copy.adopt(wc.ctx.conn, store_id(o), signers(o))
        head = office_log.head(o.conn)
        fixed = (f"D-{rng.token_hex(6).upper()}", utc_now(), head)
        if shown is not None:
            signed = json.loads(shown.document)
            fixed = (shown.decision_id, signed["decided_at"], (signed["log_head"]["seq"], signed["log_head"]["hash"]))
        draft = decisions.prepare(wc.ctx, request_id, outcome, justification, as_of, fixed)
        if shown is not None and draft.document != shown.document:
            raise InputError(f"request {request_id} changed since its decision was prepared (its records, court "
                             "orders, evaluation or decision); nothing was signed: look at it again")
    with office_card.signer(o, login) as signer:
        if p.fingerprint(signer.public_key) != draft.preparer_fingerprint:
            raise AuthError(f"the key that signs is not the one enrolled for {login}; nothing was signed")
        public, signature = signer.public_key, signer.sign(draft.document)

    def record() -> None:
        decisions_sql.insert_decision(
            o.conn, decision_id=draft.decision_id, request=wc.request, outcome=draft.outcome,
            needs_approval=draft.needs_approval, doc_hash=draft.doc_hash, preparer_key=public,
            sealed=_seal(o, decisions_sql.DECISIONS_TABLE, _binding(draft.decision_id, wc.request, draft.doc_hash,
                                                                    login),
                         {"document": draft.document, "signature": signature}))
        o.log("decision-signed", request_id, {"decision_id": draft.decision_id, "outcome": draft.outcome,
                                              "recommendation": draft.recommendation, "doc_hash": draft.doc_hash,
                                              "justified": draft.justification is not None,
                                              "needs_approval": draft.needs_approval})
    _errors(o, "decision", record)
    row = decisions_sql.by_id(o.conn, draft.decision_id)
    assert row is not None
    return _info(o, row, request_id)


def _unchanged(doc: dict[str, Any], evaluation: EvaluationDoc, request_hash: str, request_id: str) -> None:
    """The approver's own evaluation against what the preparer signed (one line when anything differs)."""
    if request_hash != doc["request_hash"]:
        raise InputError(f"request {request_id} changed since the decision was signed (its package is not the one "
                         "the preparer signed); nothing was signed: the reviewer must decide again")
    if (evaluation["plan_hash"] != doc["plan_hash"] or evaluation["recommendation"] != doc["recommendation"]
            or evaluation["findings_hash"] != doc["findings"]["subjects_hash"]):
        raise InputError("the evaluation changed since the decision was signed (records, court orders, settings "
                         "or overrides); the reviewer must decide again")


def approve(o: OfficeCtx, request_id: str, as_of: date, expected_hash: str | None = None) -> DecisionInfo:
    """The approver's signature on the very bytes the preparer signed, after evaluating the request again."""
    login = o.user or ""
    with office_evaluation.working_copy(o, request_id, as_of) as wc:
        if wc.role != "approver":
            raise PermissionDenied(f"only an approver may approve a decision (you are {wc.role})")
        row = decisions_sql.current(o.conn, wc.request)
        if row is None:
            raise InputError(f"request {request_id} has no decision to approve; a reviewer decides first")
        if row.approver is not None:
            raise InputError(f"decision {row.decision_id} is already approved by {row.approver}")
        if row.preparer == login:
            raise PermissionDenied("the approver must be a different person from the preparer (two-person rule)")
        if expected_hash is not None and row.doc_hash != expected_hash:
            raise InputError(f"the decision on {request_id} changed since it was shown (now {row.decision_id}); "
                             "nothing was signed: look at it again")
        if signing_keys.public_key(o.conn, row.preparer) != row.preparer_key:
            raise TamperError(f"decision {row.decision_id} is signed with a key that is not {row.preparer}'s in this "
                              "office; nothing was signed")
        document = opened(o, row)["document"]
        _unchanged(json.loads(document), wc.doc, _request_hash(wc, request_id), request_id)
    with office_card.signer(o, login) as signer:
        public, signature = signer.public_key, signer.sign(document)

    def record() -> None:
        decisions_sql.insert_approval(
            o.conn, decision_id=row.decision_id, approver_key=public, doc_hash=row.doc_hash,
            sealed=_seal(o, decisions_sql.APPROVALS_TABLE, _binding(row.decision_id, row.request, row.doc_hash, login),
                         {"signature": signature}))
        o.log("decision-approved", request_id, {"decision_id": row.decision_id, "doc_hash": row.doc_hash})
    _errors(o, "approval", record)
    new = decisions_sql.by_id(o.conn, row.decision_id)
    assert new is not None
    return _info(o, new, request_id)


def _request_hash(wc: office_evaluation.WorkingCopy, request_id: str) -> str:
    """The request's package hash as the working copy holds it (the office's, as imported)."""
    found = ev.package(wc.ctx.conn, request_id)
    assert found is not None
    return str(found[3])


def export(o: OfficeCtx, request_id: str) -> DecisionExport:
    """The signed bytes, each signature and each signer's public key as PEM (the local store's files)."""
    found = evaluations_sql.request_row(o.conn, request_id)
    if found is None:
        raise InputError(f"no request {request_id!r} in the store (see 'dws list')")
    row = decisions_sql.current(o.conn, int(found[0]))
    if row is None:
        raise InputError(f"request {request_id} has no signed decision")
    signed = opened(o, row)
    files = {"decision.json": signed["document"], "preparer.sig": signed["signature"],
             "preparer.pem": p.public_pem(row.preparer_key)}
    approval = approval_signature(o, row)
    if approval is not None and row.approver_key is not None:
        files["approver.sig"] = approval
        files["approver.pem"] = p.public_pem(row.approver_key)

    def record() -> None:
        o.log("decision-exported", request_id, {"decision_id": row.decision_id})
    _errors(o, "export", record, "nothing was exported (every export is logged, and your office role may not "
            "write to the office log)")
    return DecisionExport(row.decision_id, files)
