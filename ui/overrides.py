"""Reviewer overrides as undoable commands: one QUndoStack per request, in a QUndoGroup whose active stack
follows the request on screen (so Edit › Undo always means "this request").

An override is pushed only after the service accepted it (a refused release never lands on the stack).
Undo and redo run in the DB worker; jobs run in submission order, so an undo submitted right after its
redo always sees the override id the redo wrote.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoGroup, QUndoStack

from workstation.service import Session

from .database import DbClient


def describe(action: str, item: str, ref: str | None) -> str:
    return f"{action.capitalize()} {item} for {('subject ' + ref) if ref else 'every subject'}"


class OverrideCommand(QUndoCommand):
    def __init__(self, overrides: Overrides, request_id: str, ref: str | None, item: str, action: str, reason: str,
                 override_id: int) -> None:
        super().__init__(describe(action, item, ref))
        self._overrides = overrides
        self.request_id, self.ref, self.item, self.action, self._reason = request_id, ref, item, action, reason
        self.override_id = override_id          # written by worker jobs only, in order
        self._pushed = False

    def redo(self) -> None:
        if not self._pushed:                    # QUndoStack.push() calls redo(): the override already exists
            self._pushed = True
            return

        def job(s: Session) -> None:
            self.override_id = s.add_override(self.request_id, self.ref, self.item, self.action, self._reason)

        self._overrides.submit(self.request_id, job)

    def undo(self) -> None:
        self._overrides.submit(self.request_id, lambda s: s.undo_override(self.request_id, self.override_id))


class Overrides(QObject):
    overrides_changed = Signal(str)          # request id

    def __init__(self, db: DbClient, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self.group = QUndoGroup(self)
        self._stacks: dict[str, QUndoStack] = {}

    def stack(self, request_id: str) -> QUndoStack:
        if request_id not in self._stacks:
            self._stacks[request_id] = QUndoStack(self.group)
        return self._stacks[request_id]

    def activate(self, request_id: str | None) -> None:
        self.group.setActiveStack(self.stack(request_id) if request_id else None)  # type: ignore[arg-type]

    def add(self, request_id: str, ref: str | None, item: str, action: str, reason: str) -> None:
        """Ask the service for the override; on success it goes on the request's undo stack."""
        self._db.call(lambda s: s.add_override(request_id, ref, item, action, reason),
                      lambda oid: self.on_override_added(request_id, ref, item, action, reason, oid),
                      label="Recording the override…", owner=self)

    def on_override_added(self, request_id: str, ref: str | None, item: str, action: str, reason: str,
                          override_id: int) -> None:
        self.stack(request_id).push(OverrideCommand(self, request_id, ref, item, action, reason, override_id))
        self.overrides_changed.emit(request_id)

    def submit(self, request_id: str, job: object) -> None:
        self._db.call(job, lambda _r: self.overrides_changed.emit(request_id), label="Updating the override…",  # type: ignore[arg-type]
                      owner=self)
