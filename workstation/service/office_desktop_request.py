"""The open request on an office desktop (issue 19, i19q): the `Session` methods the GUI's request view calls
(ui/request_view.py and its tabs), on `OfficeSession` (office_desktop.py), over the request's working copy
(office_open.py) while it is open, and the office's own decisions and letters (office_decisions.py,
office_letters.py: the calls the CLI makes) for what must last.

    view = session.open_request("REQ-1", progress=..., cancelled=...)   # OpenedView; the working copy kept open
    session.subject_rows("REQ-1", 0, 100)                                # the local review, on it
    summary = session.prepare_decision("REQ-1", "partial", None)         # shown; then
    session.sign_decision(summary, passphrase)                           # exactly that document, in the office
    session.close_request()                                              # the working copy removed

One request is open at a time: opening another closes the one before; locking the screen, closing the session
or quitting close it. A review or signing call on a request that is not open opens it first (as `dws` would read
it: evaluated as of the day of the office's latest evaluation of it); before the office holds any evaluation of it
the request has no evaluated subjects, as in a local store (no subjects, no preview).
Signing asks for the passphrase again, checked on this desktop against the keyslot fetched
at the unlock (the office's signing key is opened by the unlock itself).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from .. import clock as clocks
from ..canonical import utc_now
from ..crypto import rng
from ..errors import InputError, PermissionDenied
from ..model import RequestActions, RequestPackage, SigningSummary, SubjectFinding, SubjectRow
from ..redaction.preview import PreviewField
from ..results import DecisionInfo, EvaluationDoc, OverrideEntry
from ..store import office_copy
from ..store.office import evaluations as evaluations_sql
from ..store.office import log as office_log
from . import (
    decisions,
    evaluation_report,
    letters,
    office_decisions,
    office_evaluation,
    office_letters,
    office_open,
    office_overrides,
    review,
)
from .context import CancelCheck, Progress
from .office_open import OpenedRequest, OpenedView
from .office_records import OfficeCtx

T = TypeVar("T")


class OfficeRequestMixin:
    """The open request's part of OfficeSession (which provides `_read`, `_write`, `reauthenticate`,
    `_signing`)."""

    _request: OpenedRequest | None = None

    def _read(self, fn: Callable[[OfficeCtx], T]) -> T:
        raise NotImplementedError

    def _write(self, fn: Callable[[OfficeCtx], T]) -> T:
        raise NotImplementedError

    def reauthenticate(self, passphrase: str) -> None:
        raise NotImplementedError

    def _signing(self, secret: str, fn: Callable[[OfficeCtx], T]) -> T:
        raise NotImplementedError                       # OfficeSession's: the passphrase or the card's PIN

    # --- opening and closing ----------------------------------------------------------------------------
    def open_request(self, request_id: str, as_of: date | None = None, progress: Progress | None = None,
                     cancelled: CancelCheck | None = None, *, again: bool = False) -> OpenedView:
        """The request evaluated on its working copy (kept open); the one open already is read again (its
        decision and what the user may do) unless `again` (evaluated again on a new working copy)."""
        as_of = as_of or clocks.today()
        current = self._request
        if current is not None and not again and current.request_id == request_id and current.as_of == as_of \
                and not current.stale:
            return self._read(lambda o: office_open.refresh(o, current))
        self.close_request()
        self._request = self._write(lambda o: office_open.open_request(o, request_id, as_of, progress, cancelled))
        assert self._request.view is not None
        return self._request.view

    def close_request(self) -> None:
        """Close the open request: its working copy removed."""
        current, self._request = self._request, None
        if current is not None:
            current.close()

    @property
    def request_folder(self) -> Path | None:
        """The open request's working copy folder (private; removed when it is closed)."""
        return self._request.folder if self._request is not None else None

    def _open(self, request_id: str) -> OpenedRequest:
        """The request, open: the one open already, or opened as of its latest evaluation in the office (InputError
        when the office holds none: nothing evaluated to read yet)."""
        opened = self._open_evaluated(request_id)
        if opened is None:
            raise InputError(f"no evaluated subject in request {request_id}; evaluate the request first")
        return opened

    def _open_evaluated(self, request_id: str) -> OpenedRequest | None:
        """As `_open`, but None when the office holds no evaluation of the request (its latest evaluation read
        once, and only when the request is not open already)."""
        current = self._request
        if current is not None and current.request_id == request_id and current.stale:
            self.open_request(request_id, current.as_of)        # an override changed the plan: evaluated again
        elif current is None or current.request_id != request_id:
            as_of = self._evaluated_on(request_id)
            if as_of is None:
                return None
            self.open_request(request_id, as_of)
        assert self._request is not None
        return self._request

    def _evaluated_on(self, request_id: str) -> date | None:
        """The day of the office's latest evaluation of the request (None: none yet); InputError for a request the
        office does not hold, in the local store's words."""
        def read(o: OfficeCtx) -> date | None:
            if evaluations_sql.request_row(o.conn, request_id) is None:
                raise InputError(f"no request {request_id!r} in the store (see 'dws list')")
            doc = office_evaluation.recorded(o, request_id)
            return None if doc is None else date.fromisoformat(doc["as_of"])
        return self._read(read)

    def _day(self, request_id: str, as_of: date | None) -> date:
        """`as_of`, else the open request's day, else its latest evaluation's, else today."""
        if as_of is not None:
            return as_of
        current = self._request
        if current is not None and current.request_id == request_id:
            return current.as_of
        return self._evaluated_on(request_id) or clocks.today()

    def _viewed(self, request_id: str, fn: Callable[[OpenedRequest], T]) -> T:
        """A view of taxpayer data on the working copy, logged in the office before it is returned."""
        opened = self._open(request_id)
        result = fn(opened)
        self._write(lambda o: office_open.forward_log(o, opened))
        return result

    # --- what the request view reads (Session's methods) ----------------------------------------------
    def request(self, request_id: str) -> RequestPackage:
        return self.open_request(request_id, self._day(request_id, None)).package

    def evaluate(self, request_id: str, as_of: date | None = None, progress: Progress | None = None,
                 cancelled: CancelCheck | None = None) -> EvaluationDoc:
        return self.open_request(request_id, as_of, progress, cancelled).doc

    def decision(self, request_id: str) -> DecisionInfo | None:
        return self.open_request(request_id, self._day(request_id, None)).decision

    def request_actions(self, request_id: str, as_of: date | None = None) -> RequestActions:
        return self.open_request(request_id, self._day(request_id, as_of)).actions

    def evaluation_document(self, request_id: str, doc: EvaluationDoc, *, summary: bool) -> dict[str, Any]:
        """The `dws evaluate --json` document of the open request's evaluation (candidates shown: logged in the
        office)."""
        if self._request is None or self._request.request_id != request_id:
            self.open_request(request_id, date.fromisoformat(doc["as_of"]))
        return self._viewed(request_id, lambda r: evaluation_report.document(r.wc.ctx, request_id, doc,
                                                                             summary=summary))

    def overrides(self, request_id: str) -> list[OverrideEntry]:
        return self._read(lambda o: office_overrides.entries(o, request_id))

    def add_override(self, request_id: str, ref: str | None, item: str, action: str, reason: str,
                     as_of: date | None = None) -> int:
        """Checked on the open request's working copy (or one built for it) and kept in the office; the open
        request is evaluated again at its next opening (office_overrides.py)."""
        as_of = as_of or clocks.today()
        current = self._request
        same = current is not None and current.request_id == request_id and current.as_of == as_of
        wc = current.wc if current is not None and same and not current.stale else None

        def add(o: OfficeCtx) -> int:
            if wc is not None:
                return office_overrides.add(o, wc.ctx, wc.request, request_id, ref, item, action, reason, as_of)
            office_overrides.may_add(o)
            with office_evaluation.working_copy(o, request_id, as_of) as built:
                return office_overrides.add(o, built.ctx, built.request, request_id, ref, item, action, reason, as_of)

        oid = self._write(add)
        self._plan_changed(request_id)
        return oid

    def undo_override(self, request_id: str, override_id: int) -> None:
        self._write(lambda o: office_overrides.undo(o, request_id, override_id))
        self._plan_changed(request_id)

    def _plan_changed(self, request_id: str) -> None:
        if self._request is not None and self._request.request_id == request_id:
            self._request.stale = True

    # before the office holds an evaluation of the request: no subjects, as in a local store (module docstring)
    def subject_count(self, request_id: str, status: str | None = None) -> int:
        opened = self._open_evaluated(request_id)
        return 0 if opened is None else review.subject_count(opened.wc.ctx, request_id, status)

    def subject_rows(self, request_id: str, offset: int, limit: int, status: str | None = None) -> list[SubjectRow]:
        opened = self._open_evaluated(request_id)
        return [] if opened is None else review.subject_rows(opened.wc.ctx, request_id, offset, limit, status)

    def find_subjects(self, request_id: str, text: str) -> list[SubjectRow]:
        if self._open_evaluated(request_id) is None:
            return []
        return self._viewed(request_id, lambda r: review.find_subjects(r.wc.ctx, request_id, text))

    def subject_findings(self, request_id: str, seq: int) -> list[SubjectFinding]:
        return self._viewed(request_id, lambda r: review.subject_findings(r.wc.ctx, request_id, seq))

    def preview(self, request_id: str, seq: int) -> list[PreviewField]:
        return self._viewed(request_id, lambda r: review.preview(r.wc.ctx, request_id, seq))

    def show_original(self, request_id: str, seq: int, reason: str) -> list[tuple[str, str]]:
        return self._viewed(request_id, lambda r: review.show_original(r.wc.ctx, request_id, seq, reason))

    # --- decisions: shown first, then signed in the office --------------------------------------------
    def prepare_decision(self, request_id: str, outcome: str, justification: str | None,
                         as_of: date | None = None) -> SigningSummary:
        """Every check the office's `decide` makes and the document it will sign (nothing is recorded)."""
        opened = self._open(request_id)
        view = opened.view
        if view is not None and not view.actions.decide.allowed:
            raise PermissionDenied(f"{view.actions.decide.reason}; nothing was signed")

        def prepare(o: OfficeCtx) -> SigningSummary:
            office_copy.adopt(opened.wc.ctx.conn, office_decisions.store_id(o), office_decisions.signers(o))
            fixed = (f"D-{rng.token_hex(6).upper()}", utc_now(), office_log.head(o.conn))
            return decisions.prepare(opened.wc.ctx, request_id, outcome, justification, as_of or opened.as_of, fixed)

        return self._read(prepare)

    def sign_decision(self, draft: SigningSummary, passphrase: str) -> DecisionInfo:
        """Sign exactly the document `prepare_decision` made and record it in the office (office_decisions.decide)."""
        as_of = date.fromisoformat(draft.as_of)
        return self._signing(passphrase, lambda o: office_decisions.decide(o, draft.request_id, draft.outcome,
                                                                           draft.justification, as_of, draft))

    def approval_summary(self, request_id: str, as_of: date | None = None) -> SigningSummary:
        """What approving signs: the office's decision document (refused as approving would refuse)."""
        opened = self._open(request_id)
        self._read(lambda o: office_open.refresh(o, opened))
        return decisions.approval_summary(opened.wc.ctx, request_id, as_of or opened.as_of)

    # --- letters ----------------------------------------------------------------------------------------
    def issue_letter(self, request_id: str, secret: str) -> bytes:
        return self._signing(secret, lambda o: office_letters.issue(o, request_id, clocks.today())).pdf

    def letter_bytes(self, request_id: str) -> bytes | None:
        opened = self._open(request_id)
        letter = self._read(lambda o: office_open.stored_letter(o, opened))
        return letter.pdf if letter is not None else None

    def letter_text(self, request_id: str) -> str | None:
        from ..redaction.pdftext import reading_text

        pdf = self.letter_bytes(request_id)
        return None if pdf is None else reading_text(pdf)

    def record_letter_output(self, request_id: str, action: str, target: str) -> None:
        """Log in the office that the issued letter was written, printed, saved or viewed ('letter-printed', ...:
        the local store's events) to `target`, before it is."""
        event = letters.OUTPUTS.get(action.removeprefix("letter-"))
        if event is None:
            raise InputError(f"a letter output is one of {', '.join(letters.OUTPUTS)}, not {action!r}")
        opened = self._open(request_id)
        letter = self._read(lambda o: office_open.stored_letter(o, opened))
        if letter is None:
            raise InputError(f"no letter has been issued for request {request_id} ('dws letter')")
        self._write(lambda o: office_letters.record_output(o, letter, target, event))

