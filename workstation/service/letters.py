"""Letters: issue one per final signed decision (signed as a PDF with the issuing user's key, stored in the
store with the accounting of disclosures in the same transaction), hand out the stored bytes, log every write
and print, and check a letter file against the store (`dws verify-letter`)."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime

from ..canonical import sha256_hex, utc_now
from ..errors import InputError, TamperError
from ..keys import primitives as p
from ..keys.signer import Signer
from ..letters import verification as marks
from ..letters.document import LogCheckpoint
from ..letters.render import render
from ..model import RequestPackage
from ..results import DecisionInfo, IssuedLetter, LetterCheck, SignatureCheck
from ..store import auditlog, db
from ..store import decisions as dec
from ..store import letters as letters_sql
from ..store import requests as requests_sql
from ..wording import count
from . import certificates, letter_input, letter_signature, review, witness
from .context import Ctx
from .decisions import info
from .release_gate import check as release_gate_check
from .signing import signer as signer_for

ATTEMPTS = 3                 # times a letter is re-made when another session wrote to the log meanwhile
OUTPUTS = {"written": "letter-written", "printed": "letter-printed", "saved": "letter-saved",
           "viewed": "letter-viewed"}


def _final(s: Ctx, request_id: str) -> tuple[int, RequestPackage, dec.DecisionRow, DecisionInfo]:
    rid, pkg = review.request(s, request_id)
    row = dec.current(s.conn, rid)
    if row is None:
        raise InputError(f"request {request_id} has no signed decision; a reviewer decides first ('dws decide')")
    decision = info(row, request_id)
    if not decision.final:
        why = ("grants and partial grants need the approval before a letter can be issued"
               if decision.outcome in ("grant", "partial") else
               "a bulk request's decision needs the approval before a letter can be issued")
        raise InputError(f"decision {decision.decision_id} on {request_id} awaits approval: {why} ('dws approve')")
    return rid, pkg, row, decision


def _issued(s: Ctx, row: letters_sql.LetterRow, request_id: str) -> IssuedLetter:
    """A letter issued before, read back from the store (its bytes checked against the recorded hash)."""
    data = letters_sql.pdf(s.conn, row.letter_id)
    if sha256_hex(data) != row.sha256:
        raise TamperError(f"the stored letter {row.letter_id} does not match its recorded hash; the store was "
                          "altered (run 'dws verify')")
    return IssuedLetter(row.letter_id, row.decision_id, request_id, row.kind, row.pages, row.sha256, row.issued_at,
                        row.issued_by, False, data)


def letter_id_for(decision_id: str) -> str:
    """One letter per decision, named after it (no random ids: the same decision gives the same letter)."""
    return "L-" + decision_id.removeprefix("D-")


def issue(s: Ctx, request_id: str, secret: str) -> IssuedLetter:
    """The letter for the request's final decision: generated, signed and stored the first time, the stored
    bytes after that (`secret` is then not asked for). Issuing a letter that releases records the disclosures
    in the same transaction. The letter carries a checkpoint of the log signed by the issuing user and kept in
    that same transaction: it covers every entry before the letter's own `letter-issued` entry. The PDF is
    signed (PAdES) by the issuing user's signing key, which `secret` opens, under their certificate."""
    s.require("issue-letter")
    rid, pkg, row, decision = _final(s, request_id)
    existing = letters_sql.for_decision(s.conn, row.decision_id)
    if existing is not None:
        return _issued(s, existing, request_id)
    letter_id = letter_id_for(row.decision_id)
    with signer_for(s, secret) as signer:
        signing = certificates.for_signing(s, signer.public_key)
        for _attempt in range(ATTEMPTS):
            try:
                return _issue_once(s, request_id, rid, pkg, row, decision, letter_id, (signer, signing))
            except _LogMoved:
                continue
    raise InputError(f"the audit log kept changing while the letter for {request_id} was being made (another "
                     "session is writing to this store); nothing was issued: try again")


class _LogMoved(Exception):
    """The log grew between signing the letter's checkpoint and issuing it (another session wrote)."""


def _issue_once(s: Ctx, request_id: str, rid: int, pkg: RequestPackage, row: dec.DecisionRow,
                decision: DecisionInfo, letter_id: str, signing: tuple[Signer, certificates.SigningCertificate]
                ) -> IssuedLetter:
    """Sign a checkpoint of the log as it is, render the letter carrying it, sign the PDF, then, in one
    transaction: check the log is still exactly what the checkpoint covers, keep the checkpoint, store the
    letter, record the disclosures and log `letter-issued` (the entry right after the checkpoint's last)."""
    seen = auditlog.head(s.conn)
    info = witness.sign_checkpoint(s)
    checkpoint = LogCheckpoint(info.note, info.size, info.signer)
    data = letter_input.build(s, rid, pkg, row, decision, letter_id, checkpoint)
    rendered, pages = render(data)
    release_gate_check(s, rid, data, rendered)     # refuses (and logs) a letter that shows a withheld value
    issued_at = utc_now()
    pdf = letter_signature.sign(rendered, letter_id, signing, datetime.fromisoformat(issued_at))
    made = letters_sql.LetterRow(letter_id, row.decision_id, rid, data.kind, data.texts["version"],
                                 sha256_hex(pdf), pages, issued_at, s.user or "recovery")
    with db.transaction(s.conn):
        current = dec.current(s.conn, rid)
        if current is None or current.decision_id != row.decision_id:
            raise InputError(f"the decision on {request_id} changed while its letter was being made; try again")
        raced = letters_sql.for_decision(s.conn, row.decision_id)
        if raced is None:
            if auditlog.head(s.conn) != seen:
                raise _LogMoved()
            witness.keep_checkpoint(s, info)
            letters_sql.insert(s.conn, made, pdf)
            disclosed = 0
            if data.releases:
                purpose = pkg.purpose or {}
                disclosed = letters_sql.record_disclosures(
                    s.conn, rid=rid, request_id=request_id, letter_id=letter_id, decision_id=row.decision_id,
                    agency_code=pkg.requester.agency_code,
                    agency=", ".join(x for x in (pkg.requester.agency, pkg.requester.component) if x),
                    authority=pkg.authority,
                    purpose=": ".join(x for x in (purpose.get("category"), purpose.get("statement")) if x),
                    at=made.issued_at)
            s.log("letter-issued", request_id, {
                "letter_id": letter_id, "decision_id": row.decision_id, "kind": data.kind, "pages": pages,
                "sha256": made.sha256, "template_version": made.template_version, "disclosures": disclosed,
                "checkpoint_size": info.size})
    if raced is not None:
        return _issued(s, raced, request_id)
    return IssuedLetter(letter_id, row.decision_id, request_id, data.kind, pages, made.sha256, made.issued_at,
                        made.issued_by, True, pdf)


def stored(s: Ctx, request_id: str) -> IssuedLetter | None:
    """The letter already issued for the request's current decision, or None."""
    s.require("issue-letter")
    rid, _pkg = review.request(s, request_id)
    row = dec.current(s.conn, rid)
    letter = letters_sql.for_decision(s.conn, row.decision_id) if row else None
    return _issued(s, letter, request_id) if letter else None


def record_output(s: Ctx, request_id: str, action: str, target: str) -> None:
    """Log that the issued letter was written to a file, printed, saved or viewed (AU-2: every print and
    export of taxpayer data)."""
    event = OUTPUTS.get(action.removeprefix("letter-"))
    if event is None:
        raise InputError(f"a letter output is one of {', '.join(OUTPUTS)}, not {action!r}")
    letter = stored(s, request_id)
    if letter is None:
        raise InputError(f"no letter has been issued for request {request_id} ('dws letter')")
    with db.transaction(s.conn):
        s.log(event, request_id, {"letter_id": letter.letter_id, "target": target})


def not_issued(letter_ids: Collection[str], source: str) -> InputError:
    """A file that is not a letter of this store (the office's too): the ids it carries, or that it carries none."""
    what = (f"letter {', '.join(sorted(letter_ids))} was not issued from this store" if letter_ids else
            "it is not a letter issued by the Disclosure Workstation (it carries no letter id)")
    return InputError(what, source=source)


def verify(s: Ctx, data: bytes, source: str) -> LetterCheck:
    """Is `data` exactly a letter this store issued, its PDF signature valid (letter_signature.py), for a
    decision whose signatures verify?
    Not ours (not a PDF, no letter id, an id this store never issued): InputError. Ours but changed:
    a report with problems (the CLI exits 3)."""
    s.require("read-log")
    if not data.startswith(b"%PDF-"):
        raise InputError("not a PDF file", source=source)
    file_sha = sha256_hex(data)
    row = letters_sql.by_sha256(s.conn, file_sha)
    letter_ids, decision_ids = marks.found_ids(data)
    if row is None:
        rows = letters_sql.by_ids(s.conn, letter_ids)
        if not rows:
            raise not_issued(letter_ids, source)
        row = rows[0]
    issued = letters_sql.pdf(s.conn, row.letter_id)
    request_id = requests_sql.request_id(s.conn, row.rid) or "?"
    problems: list[str] = []
    notes: list[str] = []
    if file_sha != row.sha256:
        problems.append(_difference(data, issued, row.letter_id))
    if sha256_hex(issued) != row.sha256:
        problems.append(f"the store's copy of letter {row.letter_id} does not match its recorded hash "
                        "(the store was altered)")
    if decision_ids - {row.decision_id}:
        problems.append(f"the file names decision {', '.join(sorted(decision_ids - {row.decision_id}))}, "
                        f"but letter {row.letter_id} was issued for {row.decision_id}")
    pdf_signature = letter_signature.check(s, data, issued, row, problems, notes)
    signatures = _check_decision(s, row.decision_id, request_id, problems, notes)
    check = LetterCheck(row.letter_id, row.decision_id, request_id, row.kind, row.issued_at, row.issued_by, file_sha,
                        row.sha256, signatures, pdf_signature, problems, notes)
    with db.transaction(s.conn):
        s.log("letter-verified", check.request_id, {"letter_id": row.letter_id, "ok": check.ok,
                                                    "file_sha256": file_sha})
    return check


def _difference(data: bytes, issued: bytes, letter_id: str) -> str:
    if data.startswith(issued):
        appended = len(data) - len(issued)
        return (f"{count(appended, 'byte')} {'was' if appended == 1 else 'were'} appended to letter {letter_id} "
                "after it was issued "
                "(an incremental update changes what a PDF shows)")
    if len(data) == len(issued):
        changed = sum(a != b for a, b in zip(data, issued, strict=True))
        verb = "differs" if changed == 1 else "differ"
        return f"{count(changed, 'byte')} of the file {verb} from letter {letter_id} as issued"
    return f"the file ({len(data):,} bytes) differs from letter {letter_id} as issued ({len(issued):,} bytes)"


def _check_decision(s: Ctx, decision_id: str, request_id: str, problems: list[str], notes: list[str]
                    ) -> list[SignatureCheck]:
    """The letter's decision: its hash and each signature (returned); what is wrong is added to `problems`."""
    found = [r for r in dec.all_rows(s.conn) if r.decision_id == decision_id]
    if not found:
        problems.append(f"decision {decision_id} is not in the store")
        return []
    row = found[0]
    if sha256_hex(row.document) != row.doc_hash:
        problems.append(f"decision {decision_id}: the signed document does not match its recorded hash")
    doc = json.loads(row.document)
    signatures: list[SignatureCheck] = []
    for role, name, key, sig in (("preparer", row.preparer, row.preparer_key, row.preparer_sig),
                                 ("approver", row.approver, row.approver_key, row.approver_sig)):
        if name is None:
            continue
        ok = key is not None and sig is not None and p.verify(key, sig, row.document)
        signatures.append(SignatureCheck(role, name, p.fingerprint(key) if key else None, ok))
        if not ok:
            problems.append(f"decision {decision_id}: the {role}'s signature ({name}) does not verify")
    if doc.get("needs_approval") and row.approver is None:
        problems.append(f"decision {decision_id} was never approved, yet a letter was issued for it")
    if row.status == "superseded":
        notes.append(f"decision {decision_id} has since been superseded by a later decision on {request_id}")
    return signatures
