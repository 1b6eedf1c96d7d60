"""Reviewer overrides of the release plan: each with a written reason, stored, logged and undoable —
except where domain/RULES.md forbids them (a court-order block; taxpayer return information under (i)(2); a
subject under an internal hold, a third party under FOIA, another taxpayer than the consent's own)."""

from __future__ import annotations

import json
from datetime import date

from .. import textsafety
from ..canonical import utc_now
from ..errors import InputError, PermissionDenied
from ..model import ELEMENTS
from ..redaction.scan import scan_free_text
from ..rules.plan import forbidden_release, never_released
from ..store import db
from ..store import evaluation as ev
from ..wording import listing
from .evaluation import evaluate
from .session import Session

MIN_REASON = 10
KIND_WORDS = {"SSN": "an SSN", "ITIN": "an ITIN", "EIN": "an EIN", "BANK_ACCOUNT": "a bank account number",
              "PHONE": "a phone number"}
ACTIONS = ("release", "withhold")


def check_free_text(text: str, what: str) -> None:
    """Free text that may reach a letter must not carry identifiers (SSN, ITIN, EIN, accounts, phones), nor a
    character that is not drawn or that rearranges what is (`textsafety`; it may span lines)."""
    refused = textsafety.problem(f"the {what}", text, multiline=True)
    if refused:
        raise InputError(refused)
    hits = scan_free_text(text)
    if hits:
        kinds = listing([KIND_WORDS[k] for k in dict.fromkeys(k for k, _s, _e in hits)])
        raise InputError(f"the {what} contains what looks like {kinds}; remove it (free text may reach a letter)")


def add_override(s: Session, request_id: str, ref: str | None, item: str, action: str, reason: str,
                 as_of: date) -> int:
    if s.role != "reviewer":
        raise PermissionDenied(f"only a reviewer may override the release plan (you are {s.role})")
    if action not in ACTIONS:
        raise InputError(f"an override either releases or withholds, not {action!r}")
    if item not in ELEMENTS:
        raise InputError(f"{item!r} is not a data element; one of: {', '.join(ELEMENTS)}")
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise InputError(f"an override needs a written reason of at least {MIN_REASON} characters")
    check_free_text(reason, "reason")
    doc = evaluate(s, request_id, as_of)
    row = ev.package(s.conn, request_id)
    assert row is not None
    rid, package_json = row[0], row[1]
    pkg = json.loads(package_json)
    if item not in pkg["items"]:
        raise InputError(f"{item!r} was not requested; the request asks for {', '.join(pkg['items'])}")
    if action == "release":
        blocked = doc["recommendation"] == "blocked"
        why = forbidden_release(pkg["authority"], item, blocked)
        if why:
            raise PermissionDenied(f"cannot release {item}: {why}")
    seq = None
    if ref is not None:
        seq = ev.ref_to_seq(s.conn, rid, ref)
        if seq is None:
            raise InputError(f"request {request_id} has no subject with ref {ref!r}")
        if action == "release":
            why = never_released(_failing_codes(s, rid, seq))
            if why is None and _matched_taxpayer(s, rid, seq) is None:
                why = ("no single taxpayer is matched for this subject (no record, or more than one candidate): "
                       "there is nothing to release; withhold it, or ask the requester for what identifies them")
            if why:
                raise PermissionDenied(f"cannot release {item} for subject {ref}: {why}")
    with db.transaction(s.conn):
        cur = s.conn.execute("INSERT INTO overrides (rid, seq, item, action, reason, created_at, created_by) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)", (rid, seq, item, action, reason, utc_now(), s.user))
        oid = int(cur.lastrowid or 0)
        s.log("override-added", request_id, {"override": oid, "ref": ref, "item": item, "action": action,
                                             "reason": reason})
    return oid


def _matched_taxpayer(s: Session, rid: int, seq: int) -> str | None:
    """review imports this module (check_free_text), so it is imported here, where it is used."""
    from .review import matched_taxpayer

    return matched_taxpayer(s, rid, seq)


def _failing_codes(s: Session, rid: int, seq: int) -> set[str]:
    """The subject-level codes that did not pass for one evaluated subject."""
    row = s.conn.execute("SELECT findings FROM subject_results WHERE rid = ? AND seq = ?", (rid, seq)).fetchone()
    return {code for code, outcome, _message in json.loads(row[0]) if outcome != "pass"} if row else set()


def undo_override(s: Session, request_id: str, override_id: int) -> None:
    if s.role != "reviewer":
        raise PermissionDenied(f"only a reviewer may undo an override (you are {s.role})")
    row = ev.package(s.conn, request_id)
    if row is None:
        raise InputError(f"no request {request_id!r} in the store")
    found = s.conn.execute("SELECT undone_at FROM overrides WHERE id = ? AND rid = ?", (override_id, row[0])).fetchone()
    if found is None:
        raise InputError(f"request {request_id} has no override {override_id}")
    if found[0] is not None:
        raise InputError(f"override {override_id} was already undone")
    with db.transaction(s.conn):
        s.conn.execute("UPDATE overrides SET undone_at = ?, undone_by = ? WHERE id = ?",
                       (utc_now(), s.user, override_id))
        s.log("override-undone", request_id, {"override": override_id})


def list_overrides(s: Session, request_id: str) -> list[dict]:
    row = ev.package(s.conn, request_id)
    if row is None:
        raise InputError(f"no request {request_id!r} in the store")
    rows = s.conn.execute(
        "SELECT o.id, s.ref, o.item, o.action, o.reason, o.created_by, o.created_at, o.undone_at "
        "FROM overrides o LEFT JOIN subjects s ON s.rid = o.rid AND s.seq = o.seq WHERE o.rid = ? ORDER BY o.id",
        (row[0],)).fetchall()
    keys = ("id", "ref", "item", "action", "reason", "by", "at", "undone_at")
    return [dict(zip(keys, r, strict=True)) for r in rows]
