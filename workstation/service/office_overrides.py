"""`dws override` on an office store (issue 19, i19o): a preparer's override of the release plan, kept in the office
(store/office/overrides.py) and applied by every desktop's evaluation of the request.

Adding one runs the local store's checks (overrides.checked: the reason, the element, what may never be released,
the subject's findings and match) on the request evaluated on a working copy (office_evaluation.working_copy, or the
request open on this desktop), then records it in one office transaction: its row, the ref, element, action and
reason sealed on this desktop (the office key; table "overrides", its id and request in the associated data), and
one office log entry as the local store writes it but for the reason's text (whether there is one is logged: the
server would read it in clear). Undoing one is a row of its own (the server keeps every row as made).

An override carried in from a local store by `dws office migrate --overrides` (office_migrate_overrides.py) was
inserted by the preparer who carried it; its sealed value names its original author, time and local id
(`moved_from`), and it is listed as "<author> (carried in by <preparer>)".

`copy_into` is the working copy's step (office_fill.fill): the request's overrides, active and undone, in
their order, into the working copy's own overrides table, so the local evaluation there applies them exactly as the
local store does (the same plan, the same findings; its `overrides_rev` counts them as the local store counts).
An office made before overrides were kept has none: its evaluations run without, and adding or undoing one says so
in one line.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from datetime import date
from typing import Any

from ..canonical import canonical_json, utc_now
from ..errors import InputError, PermissionDenied, StoreError, TamperError
from ..office.sealing import SealError
from ..results import OverrideEntry
from ..store import db
from ..store import evaluation as ev
from ..store.office import evaluations as evaluations_sql
from ..store.office import overrides as overrides_sql
from ..store.office.roles import session_role
from . import office_errors, overrides
from .context import Ctx
from .office_records import OfficeCtx

OLDER_OFFICE = ("this office's database was made before offices kept overrides (it has no overrides table); the "
                "server's administrator brings it up to date with this version's 'dws --user DBADMIN office init "
                "--profile FILE' (schema step 6)")
UNREACHABLE = ("office server unreachable: the connection ended before the override was recorded; nothing was "
               "changed (try again when the server is back)")


def _office_errors() -> AbstractContextManager[None]:
    return office_errors.mapped(refused="the office server refuses it: {said}; nothing was changed",
                                checked="{said}; nothing was changed",
                                duplicate="that override was already undone; nothing was changed",
                                older=OLDER_OFFICE + "; nothing was changed", lost=UNREACHABLE)


def _require_preparer(o: OfficeCtx, what: str) -> None:
    role = session_role(o.conn)
    if role != "preparer":
        raise PermissionDenied(f"only a preparer may {what} (you are {role or 'not in an office role'})")


def _request(o: OfficeCtx, request_id: str) -> int:
    row = evaluations_sql.request_row(o.conn, request_id)
    if row is None:
        raise InputError(f"no request {request_id!r} in the store")
    return int(row[0])


def _kept(o: OfficeCtx) -> None:
    if not overrides_sql.exists(o.conn):
        raise StoreError(OLDER_OFFICE + "; nothing was changed")


def may_add(o: OfficeCtx) -> None:
    """Refuse, before a working copy is built, a user who may not override, or an office that keeps no overrides."""
    with _office_errors():
        _require_preparer(o, "override the release plan")
        _kept(o)


def add(o: OfficeCtx, copy: Ctx, request: int, request_id: str, ref: str | None, item: str, action: str,
        reason: str, as_of: date) -> int:
    """Check the override on the request's working copy (`copy`: office_evaluation.WorkingCopy.ctx; `request` its
    office id) with the local store's checks, and record it; its id."""
    may_add(o)
    _rid, _seq, reason = overrides.checked(copy, request_id, ref, item, action, reason, as_of)
    content = canonical_json({"ref": ref, "item": item, "action": action, "reason": reason})
    with _office_errors(), o.conn.transaction():
        oid = overrides_sql.new_id(o.conn)
        overrides_sql.insert(o.conn, id=oid, request=request, at=utc_now(),
                             sealed=o.keys.seal(overrides_sql.TABLE, overrides_sql.binding(oid, request), content))
        o.log("override-added", request_id, {"override": oid, "ref": ref, "item": item, "action": action,
                                             "reason_given": True})
    return oid


def undo(o: OfficeCtx, request_id: str, override_id: int) -> None:
    """Undo the request's override `override_id` (a row of its own, logged)."""
    with _office_errors():
        role = session_role(o.conn)
        if role != "preparer":
            raise PermissionDenied(f"only a preparer may undo an override (you are {role or 'not in an office role'})")
        _kept(o)
        request = _request(o, request_id)
        undone = overrides_sql.undone(o.conn, request, override_id)
        if undone is None:
            raise InputError(f"request {request_id} has no override {override_id}")
        if undone:
            raise InputError(f"override {override_id} was already undone")
        with o.conn.transaction():
            uid = overrides_sql.new_id(o.conn)
            overrides_sql.insert(o.conn, id=uid, request=request, at=utc_now(), sealed=None, undoes=override_id)
            o.log("override-undone", request_id, {"override": override_id})


def entries(o: OfficeCtx, request_id: str) -> list[OverrideEntry]:
    """Every override of the request, active or undone, oldest first (opened here); none on an older office."""
    with _office_errors():
        request = _request(o, request_id)
        if not overrides_sql.exists(o.conn):
            return []
        return [_entry(o, request, row) for row in overrides_sql.rows(o.conn, request)]


def _entry(o: OfficeCtx, request: int, row: tuple[int, str, str, bytes, str | None]) -> OverrideEntry:
    oid, by, at, sealed, undone_at = row
    content = _opened(o, oid, request, sealed)
    moved = content.get("moved_from")           # carried in from a local store (office_migrate_overrides.py)
    if isinstance(moved, dict):
        by = f"{moved.get('by')} (carried in by {by})"
    return OverrideEntry(oid, content["ref"], content["item"], content["action"], content["reason"], by, at,
                         undone_at)


def _opened(o: OfficeCtx, oid: int, request: int, sealed: bytes) -> dict[str, Any]:
    try:
        found: dict[str, Any] = json.loads(o.keys.open(overrides_sql.TABLE, overrides_sql.binding(oid, request),
                                                       sealed))
    except SealError:
        raise TamperError(f"override {oid} was tampered with on the office server (its sealed value does not open "
                          "for it); restore the office from a backup and ask who changed it") from None
    return found


def copy_into(o: OfficeCtx, conn: db.Connection, request: int, local: int) -> None:
    """The working copy's step (office_fill.fill, in its snapshot and transaction): the office request
    `request`'s overrides, active and undone, into the working copy's request `local` (see the module's docstring)."""
    if not overrides_sql.exists(o.conn):
        return                                  # an office made before it kept overrides
    for row in overrides_sql.rows(o.conn, request):
        entry = _entry(o, request, row)
        seq = None if entry.ref is None else ev.ref_to_seq(conn, local, entry.ref)
        if entry.ref is not None and seq is None:
            raise TamperError(f"override {entry.id} names a subject its request does not have; restore the office "
                              "from a backup and ask who changed it")
        oid = ev.add_override(conn, rid=local, seq=seq, item=entry.item, action=entry.action, reason=entry.reason,
                              at=entry.at, by=entry.by)
        if entry.undone_at is not None:
            ev.undo_override(conn, oid, at=entry.undone_at, by=None)

