"""`dws office migrate --court-orders` (issue 19 item 6, i19x): counsel's step of a migration, which moves what the
office server lets counsel alone write: a migrated local store's court-order register and its rule thresholds.

The store's own migration (office_migrate.py, an office admin's, one transaction) cannot: the office server lets
counsel alone write the court-order register and set the rule thresholds (settings.COUNSEL_SETTINGS), an admin
included, and that rule is the point of both. So counsel, once the store is in the office, moves them in one
transaction of its own: each order sealed on this desktop as `dws import order` seals it (the whole order; the case
number, status and dates plain), each rule threshold whose local value is not the office's sealed as `dws settings
set` seals it and logged as a change (office_migrate_settings.py: one the office set to another value already
stops it), then one `local-court-orders-migrated` entry about the store's id with the count, the case numbers and
the thresholds moved, the office log checkpointed before and after. A case number the office holds already stops
it with the office unchanged; a second run is refused; the local store logs that its register and thresholds were
moved. The local log's own entries for the orders came in with the store's log.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..canonical import canonical_json
from ..errors import InputError, PermissionDenied
from ..model import CheckpointInfo
from ..store import db, logtree
from ..store import orders as local_orders
from ..store.office import log as office_log
from ..store.office import orders as orders_sql
from ..store.office.roles import is_member, roles_for
from . import office_errors, office_witness
from . import office_migrate_settings as settings_move
from .context import Ctx
from .office_migrate import refuse_a_second_step
from .office_orders import OLDER_OFFICE
from .office_records import OfficeCtx

MIGRATED_ORDERS = "local-court-orders-migrated"


@dataclass(frozen=True)
class OrdersMigration:
    store_id: str
    court_orders: int
    case_numbers: tuple[str, ...]
    settings: tuple[str, ...]   # the rule thresholds moved (their local value was not the office's)
    office_before: CheckpointInfo
    office_after: CheckpointInfo


def migrate_orders(s: Ctx, o: OfficeCtx) -> OrdersMigration:
    """Move the local store `s`'s court orders into the office `o` (see the module's docstring)."""
    with office_errors.mapped(refused="the office server refuses it: only counsel may write the court-order "
                                      "register and set the rule thresholds ({said}); nothing was migrated",
                              older=OLDER_OFFICE + "; nothing was migrated",
                              lost="the office server could not be reached or ended the connection during the "
                                   "migration; nothing was migrated (run it again when the server is back)"):
        return _migrate_orders(s, o)


def require_office_counsel(o: OfficeCtx) -> None:
    if not is_member(o.conn, roles_for(o.conn.info.dbname), "counsel"):
        raise PermissionDenied("only counsel may move a local store's court orders and rule thresholds into the "
                               "office (the server lets counsel alone write the court-order register and set the "
                               f"rule thresholds; {o.user or 'you'} is not counsel there); nothing was changed")


def _refuse(o: OfficeCtx, store_id: str) -> None:
    refuse_a_second_step(o, store_id, MIGRATED_ORDERS, "court orders", "moved")


def _migrate_orders(s: Ctx, o: OfficeCtx) -> OrdersMigration:
    require_office_counsel(o)
    if s.role not in ("counsel", "admin"):
        raise PermissionDenied(f"only counsel or an admin of the local store may move its court orders into the "
                               f"office ({s.user or 'you'} is {s.role or 'not signed in'} there); nothing was changed")
    store_id = logtree.store_id(s.conn)
    _refuse(o, store_id)
    with db.transaction(s.conn):                # the local register held still until the office has committed
        orders = local_orders.all_orders(s.conn)
        before = office_witness.sign_checkpoint(o)
        with o.conn.transaction():
            office_log.lock(o.conn)
            _refuse(o, store_id)
            held = {case_no for case_no, _sealed in orders_sql.orders(o.conn)}
            for order in orders:
                if order.case_no in held:
                    raise InputError(f"court order {order.case_no} is already in the office's register (counsel "
                                     "imported it there); an order is in the office once; nothing was migrated")
                orders_sql.put_order(o.conn, order.case_no, order.status, order.signed_on, order.effective_from,
                                     order.effective_to, o.keys.seal(orders_sql.ORDERS_TABLE, order.case_no,
                                                                     canonical_json(dataclasses.asdict(order))))
            cases = tuple(order.case_no for order in orders)
            settings = settings_move.move(s, o, settings_move.COUNSELS, store_id)
            o.log(MIGRATED_ORDERS, store_id, {"court_orders": len(orders), "case_numbers": list(cases),
                                              "settings": list(settings)})
        after = office_witness.sign_checkpoint(o)
        s.log("court-orders-migrated-to-office", after.note.split("\n", 1)[0],
              {"court_orders": len(orders), "settings": list(settings), "office_log_size": after.size,
               "office_log_root": after.root_hex})
    return OrdersMigration(store_id, len(orders), cases, settings, before, after)
