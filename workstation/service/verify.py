"""`dws verify`: the whole audit chain, every decision's signatures, the users' certificates (issued by the
office CA, for keys the users had, announced in the log), and the ties between them.

Reports every problem found and names the first bad log entry. Anyone may run it (auditors above all).
With checkpoints from outside the store (`against`: checkpoint files, letter PDFs, witness folders) it also
proves the log still extends each of them (witness.py): that catches what the chain cannot, a key holder
who cut the log or rewrote it and recomputed every hash.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from .. import checkpoint as cp
from ..canonical import sha256_hex
from ..keys import primitives as p
from ..model import WitnessCheck
from ..results import VerifyReport
from ..store import auditlog, db
from ..store import decisions as dec
from . import certificates, witness
from .context import Ctx


def verify(s: Ctx, against: Sequence[Path] = ()) -> VerifyReport:
    db.check_pages(s.conn)                  # damage anywhere in the file: StoreError, before any other finding
    given = witness.load(against)          # every file read (or an InputError) before anything is checked
    walked = auditlog.walk(s.conn, KEPT_EVENTS, roots_at={c.size for _src, c in given} if against else ())
    broken, kept = walked.broken, walked.kept
    first_bad_entry: int | None = None
    problems: list[str] = []
    witnesses: list[WitnessCheck] = []
    if broken is not None:
        first_bad_entry = broken[0]
        problems.append(f"audit log: {broken[1]}")
    if against:
        witnesses, found = witness.check(s, given, walked, _announced_checkpoint_keys(kept))
        problems.extend(found)
        for w in witnesses:
            if not w.ok:
                problems.append(w.problem or f"checkpoint {w.source} does not verify")
                if w.first_bad_entry is not None and first_bad_entry is None:
                    first_bad_entry = w.first_bad_entry
    certificates_checked, found = certificates.verify_problems(s, kept)
    problems.extend(found)
    decisions, signatures = _check_decisions(s, kept, problems)
    return VerifyReport(walked.entries, decisions, signatures, certificates_checked, first_bad_entry, problems,
                        witnesses)


def _check_decisions(s: Ctx, kept: list[tuple[str, str, str]], problems: list[str]) -> tuple[int, int]:
    """Every signed decision against its hash, its signatures, the keys the log enrolled and the log's own
    entries; what is wrong is added to `problems`. Returns (decisions, signatures) checked."""
    decisions = signatures = 0
    announced = _announced_keys(kept)
    signed_events, approved_events = _decision_events(kept)
    registered = dec.user_keys(s.conn)
    for row in dec.all_rows(s.conn):
        decisions += 1
        where = f"decision {row.decision_id}"
        if sha256_hex(row.document) != row.doc_hash:
            problems.append(f"{where}: the document does not match its recorded hash")
        try:
            doc = json.loads(row.document)
        except ValueError:
            problems.append(f"{where}: the document is not readable JSON")
            continue
        if doc.get("decision_id") != row.decision_id or doc.get("outcome") != row.outcome:
            problems.append(f"{where}: the stored outcome or id differs from the signed document")
        for role, name, key, sig in (("preparer", row.preparer, row.preparer_key, row.preparer_sig),
                                     ("approver", row.approver, row.approver_key, row.approver_sig)):
            if name is None:
                continue
            signatures += 1
            if key is None or sig is None or not p.verify(key, sig, row.document):
                problems.append(f"{where}: the {role}'s signature ({name}) does not verify")
            elif key not in registered.get(name, set()) or p.fingerprint(key) not in announced.get(name, set()):
                problems.append(f"{where}: the {role}'s key is not a key enrolled for {name} in the log")
        if doc.get("preparer", {}).get("name") != row.preparer:
            problems.append(f"{where}: the preparer named in the document is not the signer on record")
        if signed_events.get(row.decision_id) != row.doc_hash:
            problems.append(f"{where}: the audit log has no matching decision-signed entry")
        if row.approver is not None and approved_events.get(row.decision_id) != row.doc_hash:
            problems.append(f"{where}: the audit log has no matching decision-approved entry")
        head = doc.get("log_head", {})
        found = auditlog.hash_at(s.conn, head["seq"]) if head.get("seq") else None
        if head.get("seq") and (found is None or found != head.get("hash")):
            problems.append(f"{where}: the log head it was signed against is not in the audit log")
    return decisions, signatures


KEPT_EVENTS = frozenset({"user-added", "user-reset", "signing-key-replaced", "decision-signed", "decision-approved",
                         "checkpoint-key-enrolled", "office-ca-created", "certificate-issued"})


def _announced_checkpoint_keys(kept: list[tuple[str, str, str]]) -> set[bytes]:
    """The checkpoint public keys whose enrolment the log records."""
    keys = set()
    for event, _obj, detail in kept:
        if event == "checkpoint-key-enrolled":
            try:
                keys.add(cp.parse_verifier_key(json.loads(detail).get("verifier_key", ""))[1])
            except (ValueError, AttributeError):
                continue
    return keys


def _announced_keys(kept: list[tuple[str, str, str]]) -> dict[str, set[str]]:
    keys: dict[str, set[str]] = {}
    for event, obj, detail in kept:
        if event in ("user-added", "user-reset", "signing-key-replaced"):
            fp = json.loads(detail).get("fingerprint")
            if obj and fp:
                keys.setdefault(obj, set()).add(fp)
    return keys


def _decision_events(kept: list[tuple[str, str, str]]) -> tuple[dict[str, str], dict[str, str]]:
    signed: dict[str, str] = {}
    approved: dict[str, str] = {}
    for event, _obj, detail in kept:
        if event in ("decision-signed", "decision-approved"):
            d = json.loads(detail)
            (signed if event == "decision-signed" else approved)[d.get("decision_id", "")] = d.get("doc_hash", "")
    return signed, approved
