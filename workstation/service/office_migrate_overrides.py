"""`dws office migrate --overrides` (issue 19 item 6): a preparer carries a migrated local store's overrides of
the release plan into the office.

The store's own migration (office_migrate.py, an office admin's, one transaction) cannot: the office server lets a
preparer alone add an override, in their own name, never an admin (store/office/overrides.py: grants, row-level
security and a trigger, to the owner too), and keeps every row as made. So a preparer, once the store is in the
office, carries them in one transaction of their own, under their own login, as the server's rule wants:

- every local override, active or undone, in the order the local store made them (the order a plan applies them
  in), becomes an office override on the office's request of the same id, its ref, element, action and reason
  sealed on this desktop as `dws override` seals them, and with them the original author, time and local id and
  the store's id (`moved_from`): the server records the carrying preparer as the row's maker, the sealed value
  who made it first, and `dws override --list` shows both. Its plain `at` is the original time. An undone one gets
  its undo row, at the original time of the undo;
- one office log entry per carried override (`override-migrated`: the office and local ids, ref, element, action,
  the original author and time, whether and when it was undone; not the reason's text, which may name a person,
  as `override-added` leaves it out), then one `local-overrides-migrated` entry about the store's id with the
  counts; the office log checkpointed before and after; the local store logs that its overrides were moved.

So the office's evaluation of each request applies the same overrides in the same order as the local store's
(`overrides_rev` counts alike) and finds the same (tests/test_office_migrate_overrides_pg.py).

Refused in one line with the office unchanged: a user who is not a preparer in the office (or neither a reviewer
nor an admin of the local store); a store not migrated yet; a second run; an override of a request the office does
not hold (imported into the local store after its migration), or whose office request is not the local store's
(another package under the same id: its subjects are other people); a request another preparer has claimed (the
server refuses it).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from ..canonical import canonical_json
from ..errors import InputError, PermissionDenied, StoreError
from ..model import CheckpointInfo
from ..office.request_seal import open_document
from ..office.sealing import SealError
from ..store import db, logtree
from ..store import evaluation as ev
from ..store.office import log as office_log
from ..store.office import overrides as overrides_sql
from ..store.office import requests as requests_sql
from ..store.office.roles import is_member, roles_for
from . import office_overrides, office_witness
from .context import Ctx
from .office_migrate import refuse_a_second_step
from .office_records import OfficeCtx

MIGRATED_OVERRIDES = "local-overrides-migrated"
CARRIED_OVERRIDE = "override-migrated"
LOCAL_ROLES = ("reviewer", "admin")


@dataclass(frozen=True)
class OverridesMigration:
    store_id: str
    overrides: int              # carried, active and undone
    undone: int                 # of which undone (each with its undo row)
    requests: tuple[str, ...]   # the request ids they are of
    office_before: CheckpointInfo
    office_after: CheckpointInfo


def migrate_overrides(s: Ctx, o: OfficeCtx) -> OverridesMigration:
    """Carry the local store `s`'s overrides into the office `o` (see the module's docstring)."""
    try:
        return _migrate_overrides(s, o)
    except psycopg.errors.InsufficientPrivilege as exc:
        text = (exc.diag.message_primary or "permission denied").splitlines()[0]
        if text.startswith("permission denied"):        # the grants' refusal, before the trigger's own words
            text = f"only a preparer may add an override ({text})"
        raise PermissionDenied(f"the office server refuses it: {text}; nothing was migrated") from None
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedFunction):
        raise StoreError(office_overrides.OLDER_OFFICE + "; nothing was migrated") from None
    except psycopg.OperationalError:
        raise StoreError("the office server could not be reached or ended the connection during the migration; "
                         "nothing was migrated (run it again when the server is back)") from None


def require_office_preparer(o: OfficeCtx) -> None:
    if not is_member(o.conn, roles_for(o.conn.info.dbname), "preparer"):
        raise PermissionDenied(f"only a preparer may carry a local store's overrides into the office (the server "
                               f"lets a preparer alone add an override; {o.user or 'you'} is not a preparer there); "
                               "nothing was changed")


def _refuse(o: OfficeCtx, store_id: str) -> None:
    refuse_a_second_step(o, store_id, MIGRATED_OVERRIDES, "overrides", "carried")
    if not overrides_sql.exists(o.conn):
        raise StoreError(office_overrides.OLDER_OFFICE + "; nothing was changed")


def _office_requests(s: Ctx, o: OfficeCtx, request_ids: list[str]) -> dict[str, int]:
    """request id -> the office's row, each the local store's request (the same package); refused as a whole."""
    missing = [rid for rid in request_ids if requests_sql.find(o.conn, rid) is None]
    if missing:
        raise InputError(f"the local store has overrides of {_requests(missing)} the office does not hold (imported "
                         "into the local store after its migration?): import them into the office first; nothing "
                         "was migrated")
    found = {}
    for request_id in request_ids:
        office_id, sealed = requests_sql.document(o.conn, request_id) or (0, b"")
        local = ev.package(s.conn, request_id)
        try:
            same = local is not None and open_document(o.keys, office_id, sealed)["package_hash"] == local[3]
        except (SealError, KeyError, ValueError):
            same = False
        if not same:
            raise InputError(f"request {request_id} in the office is not the local store's (its package differs): "
                             "the local overrides would apply to other subjects; nothing was migrated")
        found[request_id] = office_id
    return found


def _requests(ids: list[str]) -> str:
    return f"request {ids[0]}" if len(ids) == 1 else "requests " + ", ".join(ids)


def _migrate_overrides(s: Ctx, o: OfficeCtx) -> OverridesMigration:
    require_office_preparer(o)
    if s.role not in LOCAL_ROLES:
        raise PermissionDenied(f"only a reviewer or an admin of the local store may carry its overrides into the "
                               f"office ({s.user or 'you'} is {s.role or 'not signed in'} there); nothing was changed")
    store_id = logtree.store_id(s.conn)
    _refuse(o, store_id)
    with db.transaction(s.conn):                # the local overrides held still until the office has committed
        local = ev.all_overrides(s.conn)
        request_ids = sorted({row[0] for row in local})
        before = office_witness.sign_checkpoint(o)
        with o.conn.transaction():
            office_log.lock(o.conn)
            _refuse(o, store_id)
            office_ids = _office_requests(s, o, request_ids)
            undone = 0
            for request_id, local_id, ref, item, action, reason, by, at, undone_at, undone_by in local:
                request = office_ids[request_id]
                oid = overrides_sql.new_id(o.conn)
                content = canonical_json({"ref": ref, "item": item, "action": action, "reason": reason,
                                          "moved_from": {"store": store_id, "id": local_id, "by": by, "at": at}})
                overrides_sql.insert(o.conn, id=oid, request=request, at=at, sealed=o.keys.seal(
                    overrides_sql.TABLE, overrides_sql.binding(oid, request), content))
                if undone_at is not None:
                    overrides_sql.insert(o.conn, id=overrides_sql.new_id(o.conn), request=request, at=undone_at,
                                         sealed=None, undoes=oid)
                    undone += 1
                o.log(CARRIED_OVERRIDE, request_id, {
                    "override": oid, "local_override": local_id, "local_store": store_id, "ref": ref, "item": item,
                    "action": action, "reason_given": True, "by": by, "at": at, "undone_at": undone_at,
                    "undone_by": undone_by})
            o.log(MIGRATED_OVERRIDES, store_id, {"overrides": len(local), "undone": undone,
                                                 "requests": request_ids})
        after = office_witness.sign_checkpoint(o)
        s.log("overrides-migrated-to-office", after.note.split("\n", 1)[0],
              {"overrides": len(local), "office_log_size": after.size, "office_log_root": after.root_hex})
    return OverridesMigration(store_id, len(local), undone, tuple(request_ids), before, after)
