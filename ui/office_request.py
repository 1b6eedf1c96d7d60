"""The request view on an office (issue 19, i19q): the local `RequestView` itself — the same tabs, commands,
signing dialogs and letter — over the request's working copy on this desktop (service/office_desktop_request.py).

What differs from the local view:
- opening is one worker job (`load_request` below: the working copy built and evaluated, with progress and Cancel
  as locally); a request already open is read again (its decision, what the user may do) without evaluating it
  again, but Re-evaluate (F5) evaluates it again on a new working copy;
- another desktop changed the open request (the queue watch heard it): it is read again, so the approver's
  Approve enables as soon as the preparer has signed;
- `close_request` (the window locks, or another request opens) closes it in the service: the working copy is
  removed, and the view shows no request.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from PySide6.QtWidgets import QWidget

from workstation.service.office_desktop import OfficeSession

from .capabilities import Capabilities
from .clipboard import ClipboardGuard
from .commands import NO_REQUEST, RequestCommands
from .database import DbClient
from .overrides import Overrides
from .request_view import RequestView
from .values import Evaluation, RequestSnapshot, SessionInfo
from .worker import JobContext

OPEN_COMMANDS = ("evaluate", "decide", "approve", "issue", "print", "save")


def load_request(request_id: str, as_of: date | None, *, again: bool = False) -> Any:
    """The office request on its working copy (kept open in the service), as a RequestSnapshot."""

    def job(ctx: JobContext) -> RequestSnapshot:
        s = cast(OfficeSession, ctx.session)
        view = s.open_request(request_id, as_of, ctx.progress, ctx.cancelled, again=again)
        evaluation = Evaluation.from_doc(view.doc, view.package.authority)
        overrides = tuple(s.overrides(request_id))             # kept in the office (i19o)
        return RequestSnapshot(request_id, view.package, evaluation, overrides, view.decision, view.actions)

    return job


def close_request(ctx: JobContext) -> None:
    cast(OfficeSession, ctx.session).close_request()


class OfficeRequestView(RequestView):
    def __init__(self, db: DbClient, info: SessionInfo, overrides: Overrides, clipboard: ClipboardGuard,
                 parent: QWidget | None = None) -> None:
        super().__init__(db, Capabilities.of(OfficeSession), info, overrides, clipboard, parent)
        self._again = False

    def open_request(self, request_id: str, as_of: date | None = None, *, by_user: bool = False) -> None:
        self.as_of = as_of
        self._loading = request_id
        if by_user:
            self._announce = request_id
        again, self._again = self._again, False
        self._db.run(load_request(request_id, as_of, again=again), self.on_request_loaded,
                     label=f"Opening and checking request {request_id}…", cancellable=True, owner=self)

    def reload(self) -> None:
        """Re-evaluate (F5): evaluated again on a new working copy."""
        self._again = True
        super().reload()

    def refresh(self) -> None:
        """Read the open request again (its decision, what the user may do), not evaluating it again."""
        if self.snapshot is not None:
            self.open_request(self.snapshot.request_id, self.as_of)

    def on_decision_signed(self, request_id: str) -> None:
        if request_id == self.request_id:
            self.refresh()

    def on_request_changed(self, request_id: str | None) -> None:
        """Another desktop (or this one) changed a request in the office: the open one is read again."""
        if request_id is not None and request_id == self.request_id and self._loading == request_id:
            self.refresh()

    def close_request(self) -> None:
        """No request open: the tabs hidden, the commands disabled, the working copy removed (urgent: it runs
        while the screen is locked)."""
        self.snapshot = None
        self._loading = None
        self._overrides.activate(None)
        self._stack.setCurrentWidget(self.placeholder)
        commands: RequestCommands = self.commands
        for key in OPEN_COMMANDS:
            commands.gate(key, NO_REQUEST)
        self._db.run(close_request, urgent=True)
