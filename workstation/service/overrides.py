"""Reviewer overrides of the release plan: each with a written reason, stored, logged and undoable —
except where domain/RULES.md forbids them (a court-order block; taxpayer return information under (i)(2); a
subject under an internal hold, a third party under FOIA, another taxpayer than the consent's own)."""

from __future__ import annotations

import json
from datetime import date

from ..canonical import utc_now
from ..errors import InputError, PermissionDenied
from ..model import ELEMENTS
from ..results import OverrideEntry
from ..rules.plan import forbidden_release, never_released
from ..store import db
from ..store import evaluation as ev
from . import review
from .context import Ctx
from .evaluation import evaluate
from .free_text import check_free_text

MIN_REASON = 10
ACTIONS = ("release", "withhold")


def add_override(s: Ctx, request_id: str, ref: str | None, item: str, action: str, reason: str,
                 as_of: date) -> int:
    rid, seq, reason = checked(s, request_id, ref, item, action, reason, as_of)
    with db.transaction(s.conn):
        oid = ev.add_override(s.conn, rid=rid, seq=seq, item=item, action=action, reason=reason, at=utc_now(),
                              by=s.user)
        s.log("override-added", request_id, {"override": oid, "ref": ref, "item": item, "action": action,
                                             "reason": reason})
    return oid


def checked(s: Ctx, request_id: str, ref: str | None, item: str, action: str, reason: str,
            as_of: date) -> tuple[int, int | None, str]:
    """Every check an override must pass, on the request evaluated on `as_of` (nothing stored): (the request's
    row, the subject's seq or None for every subject, the reason as it is kept). An office runs them on its
    working copy (office_overrides.py)."""
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
    return rid, seq, reason


def _matched_taxpayer(s: Ctx, rid: int, seq: int) -> str | None:
    return review.matched_taxpayer(s, rid, seq)


def _failing_codes(s: Ctx, rid: int, seq: int) -> set[str]:
    """The subject-level codes that did not pass for one evaluated subject."""
    row = ev.subject_findings(s.conn, rid, seq)
    return {code for code, outcome, _message in json.loads(row[1]) if outcome != "pass"} if row else set()


def may_undo(role: str | None) -> None:
    if role != "reviewer":
        raise PermissionDenied(f"only a reviewer may undo an override (you are {role})")


def undo_override(s: Ctx, request_id: str, override_id: int) -> None:
    may_undo(s.role)
    row = ev.package(s.conn, request_id)
    if row is None:
        raise InputError(f"no request {request_id!r} in the store")
    undone = ev.override_undone(s.conn, row[0], override_id)
    if undone is None:
        raise InputError(f"request {request_id} has no override {override_id}")
    if undone:
        raise InputError(f"override {override_id} was already undone")
    with db.transaction(s.conn):
        ev.undo_override(s.conn, override_id, at=utc_now(), by=s.user)
        s.log("override-undone", request_id, {"override": override_id})


def list_overrides(s: Ctx, request_id: str) -> list[OverrideEntry]:
    row = ev.package(s.conn, request_id)
    if row is None:
        raise InputError(f"no request {request_id!r} in the store")
    return [OverrideEntry(*r) for r in ev.override_entries(s.conn, row[0])]
