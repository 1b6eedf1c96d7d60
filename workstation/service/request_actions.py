"""What the signed-in user may do with one request now (`Session.request_actions`): the same conditions the
commands themselves check (decisions.py, letters.py, roles.py), asked beforehand, each refusal worded for the
user who meets it. The GUI enables its menus, toolbar and buttons from it and shows the reason on each one
that is disabled. Nothing here evaluates: a stored evaluation is read only when it is fresh."""

from __future__ import annotations

import json
from datetime import date

from ..errors import InputError, PermissionDenied
from ..model import Permit, RequestActions
from ..store import decisions as dec
from ..store import evaluation as ev
from ..store import letters as letters_sql
from . import roles
from .context import Ctx
from .evaluation import stored


def _role(s: Ctx, action: str) -> Permit:
    try:
        roles.require(s.role, action)
    except PermissionDenied as exc:
        return Permit(str(exc))
    return Permit()


def actions(s: Ctx, request_id: str, as_of: date) -> RequestActions:
    row = ev.package(s.conn, request_id)
    if row is None:
        raise InputError(f"no request {request_id!r} in the store (see 'dws list')")
    decision = dec.current(s.conn, int(row[0]))
    letter = letters_sql.for_decision(s.conn, decision.decision_id) if decision is not None else None
    return RequestActions(request_id, evaluate=_role(s, "read-queue"), decide=_decide(s, decision, letter),
                          approve=_approve(s, request_id, as_of, decision),
                          issue_letter=_issue(s, decision, letter), letter_output=_output(s, letter))


def _decide(s: Ctx, decision: dec.DecisionRow | None, letter: letters_sql.LetterRow | None) -> Permit:
    if s.role != "reviewer":
        return Permit(f"only a reviewer decides a request (you are {s.role or 'not signed in'})")
    if decision is not None and decision.status == "approved":
        return Permit(f"already decided ({decision.outcome}) and approved by {decision.approver}")
    if decision is not None and letter is not None:
        return Permit(f"the letter of decision {decision.decision_id} was issued; the decision stands")
    return Permit()


def _approve(s: Ctx, request_id: str, as_of: date, decision: dec.DecisionRow | None) -> Permit:
    if s.role != "approver":
        return Permit(f"only an approver approves a decision (you are {s.role or 'not signed in'})")
    if decision is None:
        return Permit("no decision to approve yet: a reviewer decides first")
    if decision.status == "approved":
        return Permit(f"already approved by {decision.approver}")
    if decision.preparer == s.user:
        return Permit("you prepared this decision; a second officer approves it (two-person rule)")
    fresh = stored(s, request_id, as_of)
    signed = json.loads(decision.document)
    if fresh is not None and (fresh["plan_hash"], fresh["recommendation"]) != (signed["plan_hash"],
                                                                               signed["recommendation"]):
        return Permit("the evaluation changed since the decision was signed; the reviewer decides again")
    return Permit()


def _issue(s: Ctx, decision: dec.DecisionRow | None, letter: letters_sql.LetterRow | None) -> Permit:
    role = _role(s, "issue-letter")
    if not role.allowed:
        return role
    if decision is None:
        return Permit("no decision yet: a reviewer decides first")
    if decision.status != "approved" and json.loads(decision.document)["needs_approval"]:
        return Permit("the decision needs its second approval first")
    if letter is not None:
        return Permit(f"already issued ({letter.letter_id}): print or save it")
    return Permit()


def _output(s: Ctx, letter: letters_sql.LetterRow | None) -> Permit:
    role = _role(s, "issue-letter")
    if not role.allowed:
        return role
    return Permit("no letter has been issued yet") if letter is None else Permit()


__all__ = ["actions"]
