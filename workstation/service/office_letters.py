"""`dws letter` and `dws verify-letter` on an office store (issue 19, i19d).

A letter is made as the local store makes it (service/letters.py: letter_input.build, render, the release gate,
the PAdES signature), on the request's working copy (service/office_evaluation.working_copy) into which the
office's decision and approval are copied. What differs is where things live:
- the checkpoint the letter carries is of the office log (service/office_witness.sign_checkpoint), signed with the
  user's own checkpoint key, and the letter names the user as a local store's does (on an office before per-user
  checkpoint keys, the office's key: CHECKPOINT_SIGNER); the letter's `letter-issued` entry must follow it directly
  (else it is made again, as locally);
- the PDF is signed with the user's office signing key under a certificate from the office's letter-signing CA
  (store/office/letter_certs.py; made by the first letter, its key sealed under the office key);
- the letter's record (the PDF as issued, its issue time and the accounting rows of its disclosures) is kept
  sealed in the office (dws.letters; table "letters", its id, decision, request and hash in the associated data),
  with its office log entry, in one transaction. The server takes one letter per decision, for the live
  decision once final, from a preparer or an approver.
"""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from typing import Any

from ..canonical import canonical_json, sha256_hex, utc_now
from ..errors import InputError, TamperError
from ..keys import ca
from ..keys import primitives as p
from ..letters import verification as marks
from ..letters.document import LogCheckpoint
from ..letters.render import render
from ..model import CheckpointInfo
from ..office.sealing import SealError
from ..results import IssuedLetter, LetterCheck, PdfSignatureReport, SignatureCheck
from ..store import db, office_copy
from ..store import decisions as local_decisions
from ..store import letters as local_letters
from ..store.office import decisions as decisions_sql
from ..store.office import evaluations as evaluations_sql
from ..store.office import letter_certs
from ..store.office import log as office_log
from . import (
    letter_input,
    letter_signature,
    letters,
    office_card,
    office_decisions,
    office_errors,
    office_evaluation,
    office_witness,
    review,
)
from .certificates import SigningCertificate
from .office_records import OfficeCtx
from .release_gate import check as release_gate_check

ATTEMPTS = letters.ATTEMPTS
# who signed the checkpoint a letter carries, in the letter's words ("its first N entries, signed by ..."): the
# office log's checkpoint key (office/log_key.py), whoever issues the letter
CHECKPOINT_SIGNER = "the office's checkpoint key"


def checkpoint_signer(o: OfficeCtx, info: CheckpointInfo) -> str:
    """Who signed a letter's checkpoint, as the letter names them: the user, or the office key (checkpoint_signer)."""
    own = o.user_checkpoint_key is not None or o.card_checkpoint_key is not None
    return info.signer if own else CHECKPOINT_SIGNER


def _binding(row_id: str, decision_id: str, request: int, sha256: str) -> str:
    return f"{row_id}|{decision_id}|{request}|{sha256}"


def _record(o: OfficeCtx, row: decisions_sql.LetterRow) -> dict[str, Any]:
    """A letter's sealed record (the PDF as issued, its issue time, its disclosures), opened and checked."""
    try:
        found: dict[str, Any] = json.loads(o.keys.open(decisions_sql.LETTERS_TABLE, _binding(
            row.letter_id, row.decision_id, row.request, row.sha256), row.sealed))
    except SealError:
        raise TamperError(f"letter {row.letter_id} was tampered with on the office server (its sealed record does not "
                          "open for it); restore the office from a backup and ask who changed it") from None
    found["pdf"] = base64.b64decode(found["pdf"])
    return found


def letter_record(o: OfficeCtx, row: decisions_sql.LetterRow) -> dict[str, Any]:
    """A letter's sealed record opened on the desktop (its PDF, issue time and accounting rows): the accounting
    reads the disclosures from it (service/office_accounting.py)."""
    return _record(o, row)


def issued(o: OfficeCtx, row: decisions_sql.LetterRow) -> IssuedLetter:
    record = _record(o, row)
    if sha256_hex(record["pdf"]) != row.sha256:
        raise TamperError(f"the office's letter {row.letter_id} does not match its recorded hash; the office was "
                          "altered (run 'dws verify')")
    return IssuedLetter(row.letter_id, row.decision_id, row.request_id, row.kind, row.pages, row.sha256,
                        record["issued_at"], row.issued_by, False, record["pdf"])


def mirror(o: OfficeCtx, wc: office_evaluation.WorkingCopy, row: decisions_sql.DecisionRow, rid: int) -> None:
    """The office's decision (and approval) into the working copy, as the local store keeps them."""
    opened = office_decisions.opened(o, row)
    approval = office_decisions.approval_signature(o, row)
    with db.transaction(wc.ctx.conn):
        office_copy.adopt(wc.ctx.conn, office_decisions.store_id(o), office_decisions.signers(o))
        local_decisions.insert(wc.ctx.conn, decision_id=row.decision_id, rid=rid, document=opened["document"],
                               doc_hash=row.doc_hash, outcome=row.outcome, preparer=row.preparer,
                               preparer_key=row.preparer_key, preparer_sig=opened["signature"],
                               prepared_at=row.prepared_at)
        if approval is not None and row.approver is not None and row.approver_key is not None:
            local_decisions.approve(wc.ctx.conn, row.decision_id, approver=row.approver, approver_key=row.approver_key,
                                    approver_sig=approval, approved_at=row.approved_at or row.prepared_at)


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def signing_certificate(o: OfficeCtx, office_name: str, public: bytes) -> SigningCertificate:
    """The user's certificate for their office signing key from the office's letter-signing CA (the CA made by
    the first letter; a certificate issued now when they have no valid one), with the CA's certificate."""
    login = o.user or ""
    store_id = office_decisions.store_id(o)
    now = datetime.fromisoformat(utc_now())
    with o.conn.transaction():
        found = letter_certs.read_ca(o.conn)
        if found is None:
            private, made = ca.new_ca(office_name, store_id, now)
            if letter_certs.put_ca(o.conn, made.certificate, o.keys.seal(letter_certs.CA_TABLE, 1, private)):
                o.log("office-ca-created", made.serial, {"serial": made.serial,
                                                         "sha256": ca.fingerprint(made.certificate),
                                                         "not_after": _stamp(made.not_after)})
            found = letter_certs.read_ca(o.conn)
        assert found is not None
        authority, sealed = found
        existing = letter_certs.certificate_for(o.conn, login, public, _stamp(now))
        if existing is not None:
            return SigningCertificate(existing[1], authority, existing[0])
        try:
            ca_private = o.keys.open(letter_certs.CA_TABLE, 1, sealed)
        except SealError:
            raise TamperError("the office's letter-signing CA key does not open with this office key (it was altered "
                              "on the server); nothing was signed") from None
        issued = ca.issue(ca_private, authority, login, public, office_name, store_id, now)
        letter_certs.put_certificate(o.conn, issued.serial, login, public, issued.certificate,
                                     _stamp(issued.not_before), _stamp(issued.not_after))
        o.log("certificate-issued", login, {"serial": issued.serial, "fingerprint": p.fingerprint(public),
                                            "not_after": _stamp(issued.not_after)})
    return SigningCertificate(issued.certificate, authority, issued.serial)


def letter_of(o: OfficeCtx, request_id: str) -> decisions_sql.LetterRow | None:
    """The office's letter for the request's current decision, or None (no request, decision or letter yet)."""
    found = evaluations_sql.request_row(o.conn, request_id)
    row = decisions_sql.current(o.conn, int(found[0])) if found is not None else None
    return decisions_sql.letter_for(o.conn, row.decision_id) if row is not None else None


def issue(o: OfficeCtx, request_id: str, as_of: date) -> IssuedLetter:
    """The letter for the request's final decision: made, signed and kept in the office the first time, the
    office's copy after that. Its file written by the caller, after `record_output` logged it."""
    with office_errors.mapped(duplicate="{said}; nothing was issued",
                              refused="the office server refuses it: {said}; nothing was issued",
                              raced="{said}; nothing was issued: look at it again",
                              lost="office server unreachable: the connection ended before the letter was kept in "
                                   "the office; nothing was issued (try again when the server is back)"):
        return _issue(o, request_id, as_of)


def _issue(o: OfficeCtx, request_id: str, as_of: date) -> IssuedLetter:
    login = o.user or ""
    with office_evaluation.working_copy(o, request_id, as_of) as wc:
        s = wc.ctx
        s.require("issue-letter")
        row = decisions_sql.current(o.conn, wc.request)
        if row is None:
            raise InputError(f"request {request_id} has no signed decision; a reviewer decides first ('dws decide')")
        existing = decisions_sql.letter_for(o.conn, row.decision_id)
        if existing is not None:
            return issued(o, existing)
        rid = review.request(s, request_id)[0]
        mirror(o, wc, row, rid)
        rid, pkg, local_row, decision = letters._final(s, request_id)
        letter_id = letters.letter_id_for(row.decision_id)
        with office_card.signer(o, login) as signer:
            signing = signing_certificate(o, str(s.settings()["office_name"]), signer.public_key)
            for _attempt in range(ATTEMPTS):
                seen = office_log.head(o.conn)
                info = office_witness.sign_checkpoint(o)
                data = letter_input.build(s, rid, pkg, local_row, decision, letter_id,
                                          LogCheckpoint(info.note, info.size, checkpoint_signer(o, info)))
                rendered, pages = render(data)
                release_gate_check(s, rid, data, rendered)
                issued_at = utc_now()
                pdf = letter_signature.sign(rendered, letter_id, (signer, signing),
                                                    datetime.fromisoformat(issued_at))
                sha = sha256_hex(pdf)
                disclosures: list[list[object]] = []
                if data.releases:
                    purpose = pkg.purpose or {}
                    with db.transaction(s.conn):         # the accounting rows name the letter (its row first)
                        office_copy.forget_letter(s.conn, letter_id)        # a stale attempt's rows (continue below)
                        local_letters.insert(s.conn, local_letters.LetterRow(
                            letter_id, row.decision_id, rid, data.kind, data.texts["version"], sha, pages, issued_at,
                            login), pdf)
                        local_letters.record_disclosures(
                            s.conn, rid=rid, request_id=request_id, letter_id=letter_id, decision_id=row.decision_id,
                            agency_code=pkg.requester.agency_code,
                            agency=", ".join(x for x in (pkg.requester.agency, pkg.requester.component) if x),
                            authority=pkg.authority,
                            purpose=": ".join(x for x in (purpose.get("category"), purpose.get("statement")) if x),
                            at=issued_at)
                    disclosures = office_copy.disclosures_of(s.conn, letter_id)
                record = canonical_json({"pdf": base64.b64encode(pdf).decode("ascii"), "issued_at": issued_at,
                                         "disclosures": disclosures})
                with o.conn.transaction():
                    office_log.lock(o.conn)
                    if office_log.head(o.conn) != seen:
                        continue                # another desktop wrote to the log: the checkpoint is stale
                    decisions_sql.insert_letter(
                        o.conn, letter_id=letter_id, decision_id=row.decision_id, request=wc.request,
                        kind=data.kind, template_version=data.texts["version"], sha256=sha, pages=pages,
                        sealed=o.keys.seal(decisions_sql.LETTERS_TABLE,
                                           _binding(letter_id, row.decision_id, wc.request, sha), record))
                    o.log("letter-issued", request_id, {
                        "letter_id": letter_id, "decision_id": row.decision_id, "kind": data.kind, "pages": pages,
                        "sha256": sha, "template_version": data.texts["version"], "disclosures": len(disclosures),
                        "checkpoint_size": info.size})
                return IssuedLetter(letter_id, row.decision_id, request_id, data.kind, pages, sha, issued_at, login,
                                    True, pdf)
    raise InputError(f"the office log kept changing while the letter for {request_id} was being made (other desktops "
                     "are writing to the office); nothing was issued: try again")


def record_output(o: OfficeCtx, letter: IssuedLetter, target: str, event: str = "letter-written") -> None:
    """Log that the issued letter was written to a file (printed, saved, viewed: letters.OUTPUTS' `event`), before
    it is (AU-2)."""
    with office_errors.mapped(lost="office server unreachable: the letter's output could not be logged; the file "
                                   "was not written (run 'dws letter' again to write the same letter)"), \
            o.conn.transaction():
        o.log(event, letter.request_id, {"letter_id": letter.letter_id, "target": target})


def verify(o: OfficeCtx, data: bytes, source: str) -> LetterCheck:
    """Is `data` exactly a letter the office issued, its PDF signature valid, for a decision whose signatures
    verify? Not the office's: InputError. The office's but changed: a report with problems (the CLI exits 3)."""
    if not data.startswith(b"%PDF-"):
        raise InputError("not a PDF file", source=source)
    file_sha = sha256_hex(data)
    row = decisions_sql.letter_by_sha256(o.conn, file_sha)
    letter_ids, decision_ids = marks.found_ids(data)
    if row is None:
        rows = [r for r in (decisions_sql.letter_by_id(o.conn, i) for i in sorted(letter_ids)) if r is not None]
        if not rows:
            raise letters.not_issued(letter_ids, source)
        row = rows[0]
    problems: list[str] = []
    notes: list[str] = []
    record = _record(o, row)
    issued = record["pdf"]
    if file_sha != row.sha256:
        problems.append(letters._difference(data, issued, row.letter_id))
    if sha256_hex(issued) != row.sha256:
        problems.append(f"the store's copy of letter {row.letter_id} does not match its recorded hash "
                        "(the store was altered)")
    if decision_ids - {row.decision_id}:
        problems.append(f"the file names decision {', '.join(sorted(decision_ids - {row.decision_id}))}, "
                        f"but letter {row.letter_id} was issued for {row.decision_id}")
    pdf_signature = _pdf_signature(o, data, row, record["issued_at"], problems)
    signatures = _decision_signatures(o, row, problems, notes)
    check = LetterCheck(row.letter_id, row.decision_id, row.request_id, row.kind, record["issued_at"], row.issued_by,
                        file_sha, row.sha256, signatures, pdf_signature, problems, notes)
    with o.conn.transaction():                      # an auditor's too (store/office/log.READING_EVENTS)
        o.log("letter-verified", check.request_id, {"letter_id": row.letter_id, "ok": check.ok,
                                                    "file_sha256": file_sha})
    return check


def _pdf_signature(o: OfficeCtx, data: bytes, row: decisions_sql.LetterRow, issued_at: str,
                   problems: list[str]) -> PdfSignatureReport | None:
    """letter_signature.judge against the office's letter-signing CA and certificates."""
    found_ca = letter_certs.read_ca(o.conn)
    if found_ca is None:
        problems.append("this office has no letter-signing CA, yet its letter carries a PDF signature")
        return None
    return letter_signature.judge(data, found_ca[0], datetime.fromisoformat(issued_at), row.letter_id,
                                  row.issued_by, lambda serial: letter_certs.by_serial(o.conn, serial),
                                  "this office's CA", problems)


def _decision_signatures(o: OfficeCtx, letter: decisions_sql.LetterRow, problems: list[str],
                         notes: list[str]) -> list[SignatureCheck]:
    row = decisions_sql.by_id(o.conn, letter.decision_id)
    if row is None:
        problems.append(f"decision {letter.decision_id} is not in the store")
        return []
    signatures = []
    try:
        office_decisions.opened(o, row)
        ok = True
    except TamperError as exc:
        problems.append(str(exc))
        ok = False
    signatures.append(SignatureCheck("preparer", row.preparer, p.fingerprint(row.preparer_key), ok))
    if row.approver is not None:
        try:
            approved = office_decisions.approval_signature(o, row) is not None
        except TamperError as exc:
            problems.append(str(exc))
            approved = False
        signatures.append(SignatureCheck("approver", row.approver,
                                         p.fingerprint(row.approver_key) if row.approver_key else None, approved))
    elif row.needs_approval:
        problems.append(f"decision {row.decision_id} was never approved, yet a letter was issued for it")
    current = decisions_sql.current(o.conn, row.request)
    if current is not None and current.decision_id != row.decision_id:
        notes.append(f"decision {row.decision_id} has since been superseded by a later decision on "
                     f"{letter.request_id}")
    return signatures

