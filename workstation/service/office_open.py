"""A request open on an office desktop (issue 19, i19q): what the GUI's request view reads, over the request's
evaluation working copy (service/office_evaluation.working_copy), kept open while the request is.

    opened = office_open.open_request(o, "REQ-1", as_of, progress, cancelled)   # the working copy, evaluated
    opened.view                     # OpenedView: the package, evaluation, decision and what the user may do now
    review.subject_rows(opened.wc.ctx, ...)                                      # the local review, unchanged
    office_open.forward_log(o, opened)                                           # views logged in the office
    opened.close()                                  # the working copy removed (its private folder gone)

Opening records the evaluation in the office as `dws evaluate` does (the claim for a preparer) when the office
holds none with the same findings and plan and no decision was signed yet (recording would set the request back to
'evaluated'); an auditor's is never recorded. One the office holds already is shown as recorded (its evaluator and
time), as a local store shows its stored evaluation. The office's decision (and approval) are copied into the
working copy as the letters do (office_letters), so the local `request_actions` answers what the user may do; the
office's claim and letter are then laid over it.

Views of taxpayer data the local review logs (a subject's candidates, a search, an original shown) are logged in
the working copy's log; `forward_log` appends them to the office log (a reason's text is not sent: the server
would read it in clear; that there was one is). When the office refuses the entry, the view is refused too.
"""

from __future__ import annotations

import dataclasses
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..model import Permit, RequestActions, RequestPackage
from ..results import DecisionInfo, EvaluationDoc, IssuedLetter
from ..store import auditlog, office_copy
from ..store.office import decisions as decisions_sql
from . import decisions, office_errors, office_evaluation, office_letters, request_actions, review
from .context import CancelCheck, Progress
from .office_records import OfficeCtx

FREE_TEXT = ("reason", "justification")      # user-written text: never sent to the server in clear
_NOT_COMPARED = ("evaluated_at", "evaluated_by", "data_version", "overrides_rev")
UNLOGGED = ("the office server refuses to log this view of taxpayer data ({said}); it is not shown (your office "
            "role may not write to the office log)")


@dataclass(frozen=True)
class OpenedView:
    """What the request view shows that is not per subject."""

    request_id: str
    package: RequestPackage
    doc: EvaluationDoc
    decision: DecisionInfo | None
    actions: RequestActions
    recorded: bool                  # this opening recorded the evaluation in the office
    claimed_by: str | None
    letter_id: str | None           # the office's letter of the current decision


class OpenedRequest:
    """One request's working copy, open until `close` (the folder is removed then)."""

    def __init__(self, stack: ExitStack, wc: office_evaluation.WorkingCopy, request_id: str, as_of: date) -> None:
        self._stack = stack
        self.wc = wc
        self.request_id = request_id
        self.as_of = as_of
        self.view: OpenedView | None = None
        self.forwarded = auditlog.head(wc.ctx.conn)[0]      # the working copy's log entries already in the office
        self.stale = False          # an override changed the plan since: evaluated again at the next opening

    @property
    def folder(self) -> Path:
        """The working copy's private folder (gone once closed)."""
        return self.wc.ctx.store.path

    @property
    def closed(self) -> bool:
        return self.view is None and not self.folder.exists()

    def close(self) -> None:
        self.view = None
        self._stack.close()


def open_request(o: OfficeCtx, request_id: str, as_of: date, progress: Progress | None = None,
                 cancelled: CancelCheck | None = None) -> OpenedRequest:
    """The request's working copy, evaluated, with the office's decision in it (see the module's docstring)."""
    stack = ExitStack()
    try:
        wc = stack.enter_context(office_evaluation.working_copy(o, request_id, as_of, progress, cancelled))
        opened = OpenedRequest(stack, wc, request_id, as_of)
        recorded, claimed_by = _record(o, wc, request_id)
        opened.view = refresh(o, opened, recorded, claimed_by)
        return opened
    except BaseException:
        stack.close()
        raise


def _record(o: OfficeCtx, wc: office_evaluation.WorkingCopy, request_id: str) -> tuple[bool, str | None]:
    """Record the evaluation when the office has not this one and nothing is signed on it yet. When the office has
    this one, the view shows it as the office recorded it (who evaluated, when), as a local store returns its stored
    evaluation to anyone who evaluates it again, rather than as this desktop's working copy made it just now."""
    known = office_evaluation.recorded(o, request_id)
    doc = wc.doc
    # the same evaluation: every finding, count and digest (a request-level finding changes neither hash: a lower
    # bulk threshold makes the request need review with the same plan), but who made it, when, and the working
    # copy's own counters
    same = known is not None and all(known.get(k) == v for k, v in doc.items() if k not in _NOT_COMPARED)
    # ... and the same taxpayers matched (no hash covers them: records loaded since may match a subject to another
    # taxpayer with the same findings; the views from now on are of that taxpayer, found by this evaluation's)
    same = same and not office_evaluation.matches_changed(o, wc)
    if known is not None and same:
        doc["evaluated_at"], doc["evaluated_by"] = known["evaluated_at"], known["evaluated_by"]
    if same or wc.role == "auditor" or decisions_sql.current(o.conn, wc.request) is not None:
        return False, wc.claimed_by
    with office_evaluation.office_errors():
        return True, office_evaluation.record(o, wc, request_id, 0)


def refresh(o: OfficeCtx, opened: OpenedRequest, recorded: bool = False,
            claimed_by: str | None = None) -> OpenedView:
    """The view read again: the office's decision copied in (when new) and what the user may do now."""
    wc, request_id = opened.wc, opened.request_id
    rid, package = review.request(wc.ctx, request_id)
    row = decisions_sql.current(o.conn, wc.request)
    local = decisions.current(wc.ctx, request_id)
    if row is not None and (local is None or local.decision_id != row.decision_id
                            or (local.approver is None) != (row.approver is None)):
        if local is not None:
            office_copy.forget_decisions(wc.ctx.conn, rid)      # the office's supersedes it
        office_letters.mirror(o, wc, row, rid)
    letter = decisions_sql.letter_for(o.conn, row.decision_id) if row is not None else None
    actions = request_actions.actions(wc.ctx, request_id, opened.as_of)
    claimed_by = claimed_by or (opened.view.claimed_by if opened.view else wc.claimed_by)
    if wc.role == "preparer" and claimed_by is not None and claimed_by != o.user and actions.decide.allowed:
        actions = dataclasses.replace(actions, decide=Permit(f"request {request_id} is claimed by {claimed_by}: "
                                                            "only they may decide it"))
    if letter is not None:
        may = wc.ctx.role in ("reviewer", "approver")
        actions = dataclasses.replace(
            actions, issue_letter=Permit(f"already issued ({letter.letter_id}): print or save it") if may
            else actions.issue_letter, letter_output=Permit() if may else actions.letter_output,
            decide=Permit(f"the letter of decision {letter.decision_id} was issued; the decision stands")
            if actions.decide.allowed else actions.decide)
    view = OpenedView(request_id, package, wc.doc, decisions.current(wc.ctx, request_id), actions, recorded,
                      claimed_by, letter.letter_id if letter else None)
    opened.view = view
    return view


def stored_letter(o: OfficeCtx, opened: OpenedRequest) -> IssuedLetter | None:
    """The office's letter of the request's current decision (opened here), or None."""
    row = decisions_sql.current(o.conn, opened.wc.request)
    letter = decisions_sql.letter_for(o.conn, row.decision_id) if row is not None else None
    return office_letters.issued(o, letter) if letter is not None else None


def forward_log(o: OfficeCtx, opened: OpenedRequest) -> None:
    """The working copy's new log entries (views of taxpayer data) appended to the office log, free text left out."""
    new = list(auditlog.entries(opened.wc.ctx.conn, since=opened.forwarded))
    if not new:
        return
    with office_errors.mapped(refused=UNLOGGED, lost="office server unreachable: this view of taxpayer data could "
                                                     "not be logged in the office, so it is not shown"), \
            o.conn.transaction():
        for entry in new:
            o.log(entry.event, entry.object, _scrubbed(entry.detail))
    opened.forwarded = new[-1].seq


def _scrubbed(detail: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in detail.items() if k not in FREE_TEXT}
    for key in FREE_TEXT:
        if key in detail:
            out[f"{key}_given"] = bool(detail[key])
    return out
