"""Court orders and agency register entries into the office store (issue 19, i19d): `dws import order` and `dws
import agency` on an office profile, parsed exactly as the local import parses them (intake/court_order.py,
intake/agency.py: the same messages), sealed on this desktop (the whole order or entry; the case number and the
agency code stay plain: store/office/orders.py), stored with the local store's log entry in one transaction.

The desktop says in the local store's words who may import (counsel an order; counsel or an admin an agency
entry); the server refuses anyone else itself (grants, row-level security, a trigger), in one line too.
"""

from __future__ import annotations

import dataclasses
import json
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from ..canonical import canonical_json
from ..errors import PermissionDenied, TamperError
from ..intake import read_agency, read_court_order
from ..model import AgencyEntry, CourtOrder, ImportSummary
from ..office.sealing import SealError
from ..store.office import orders as orders_sql
from ..store.office.roles import session_role
from . import imports, office_errors
from . import roles as local_roles
from .office_records import IMPORT_LOST, OfficeCtx

OLDER_OFFICE = ("this office's database was made before offices kept court orders and decisions; make the office "
                "again with this version's 'dws office init' or 'dws office demo' on a new folder")
# the office's roles as the local store names them (a preparer is the local store's reviewer)
LOCAL_ROLE = {"preparer": "reviewer", "approver": "approver", "counsel": "counsel", "auditor": "auditor",
              "admin": "admin"}


def office_role(o: OfficeCtx) -> str | None:
    """The connected user's office role, as the server records it."""
    return session_role(o.conn)


def require(o: OfficeCtx, action: str) -> None:
    """The local store's refusal (service/roles.py), in its words, naming the user's office role."""
    role = office_role(o)
    try:
        local_roles.require(LOCAL_ROLE.get(role or ""), action)
    except PermissionDenied:
        allowed = sorted(office for office, local in LOCAL_ROLE.items() if local in local_roles.PERMISSIONS[action])
        who = " or ".join(allowed)
        article = "an" if who[0] in "aeiou" else "a"
        raise PermissionDenied(f"only {article} {who} user may {local_roles.WHAT[action]} (you are "
                               f"{role or 'not in an office role'})") from None


def _register_write(refusal: str) -> AbstractContextManager[None]:
    """One register write's office errors, each one message: the server's refusal (`refusal`), an office made
    before the registers, a lost server."""
    return office_errors.mapped(refused=f"the office server refuses it: {refusal}; nothing was changed",
                                older=OLDER_OFFICE + "; nothing was changed", lost=IMPORT_LOST)


def import_order(o: OfficeCtx, path: Path) -> ImportSummary:
    """Import or update a court order (counsel)."""
    require(o, "import-order")
    order = read_court_order(path)
    with _register_write("only counsel may write the court-order register"), o.conn.transaction():
        sealed = o.keys.seal(orders_sql.ORDERS_TABLE, order.case_no, canonical_json(dataclasses.asdict(order)))
        replaced = orders_sql.put_order(o.conn, order.case_no, order.status, order.signed_on,
                                        order.effective_from, order.effective_to, sealed)
        o.log(*imports.order_entry(order, replaced))
    return imports.register_summary("order", path, order.case_no, replaced)


def import_agency(o: OfficeCtx, path: Path) -> ImportSummary:
    """Import or update an agency register entry (counsel or an admin)."""
    require(o, "import-agency")
    entry = read_agency(path)
    with _register_write("only counsel or an admin may write the agency register"), o.conn.transaction():
        sealed = o.keys.seal(orders_sql.AGENCIES_TABLE, entry.agency_code,
                             canonical_json(dataclasses.asdict(entry)))
        replaced = orders_sql.put_agency(o.conn, entry.agency_code, sealed)
        o.log(*imports.agency_entry(entry, replaced))
    return imports.register_summary("agency", path, entry.agency_code, replaced)


def has_registers(o: OfficeCtx) -> bool:
    """Whether the office keeps the registers (one made before them does not)."""
    return orders_sql.exists(o.conn)


def _opened(o: OfficeCtx, table: str, key: str, sealed: bytes) -> dict[str, Any]:
    try:
        found: dict[str, Any] = json.loads(o.keys.open(table, key, sealed))
    except SealError:
        raise TamperError(f"the office's {table} entry {key!r} was tampered with on the server (its sealed value does "
                          "not open for it); restore the office from a backup and ask who changed it") from None
    return found


def court_orders(o: OfficeCtx) -> list[CourtOrder]:
    """Every court order of the office's register, opened here (the local register's order)."""
    found = []
    for case_no, sealed in orders_sql.orders(o.conn):
        doc = _opened(o, orders_sql.ORDERS_TABLE, case_no, sealed)
        for key in ("enjoined_recipients", "enjoined_purposes", "enjoined_items"):
            doc[key] = tuple(doc[key])
        found.append(CourtOrder(**doc))
    return found


def agencies(o: OfficeCtx) -> list[AgencyEntry]:
    return [AgencyEntry(**_opened(o, orders_sql.AGENCIES_TABLE, code, sealed))
            for code, sealed in orders_sql.agencies(o.conn)]
