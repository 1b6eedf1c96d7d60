"""SQL for the court-order register and the agency register."""

from __future__ import annotations

import json

from ..model import AgencyEntry, CourtOrder
from .db import Connection, Row


def _order(row: Row) -> CourtOrder:
    (case_no, court, caption, signed_on, eff_from, eff_to, status, recipients, purposes, items, note) = row
    return CourtOrder(court=court, case_no=case_no, caption=caption, signed_on=signed_on,
                      effective_from=eff_from, effective_to=eff_to, status=status,
                      enjoined_recipients=tuple(json.loads(recipients)),
                      enjoined_purposes=tuple(json.loads(purposes)), enjoined_items=tuple(json.loads(items)),
                      note=note)


_ORDER_COLS = ("case_no, court, caption, signed_on, effective_from, effective_to, status, "
               "enjoined_recipients, enjoined_purposes, enjoined_items, note")


def get_order(conn: Connection, case_no: str) -> CourtOrder | None:
    row = conn.execute(f"SELECT {_ORDER_COLS} FROM court_orders WHERE case_no = ?", (case_no,)).fetchone()
    return _order(row) if row else None


def all_orders(conn: Connection) -> list[CourtOrder]:
    return [_order(r) for r in conn.execute(f"SELECT {_ORDER_COLS} FROM court_orders ORDER BY signed_on, case_no")]


def put_order(conn: Connection, o: CourtOrder, *, at: str, by: str) -> bool:
    """Insert or update by case number. Returns True when it replaced an existing order."""
    existed = get_order(conn, o.case_no) is not None
    conn.execute(
        f"INSERT INTO court_orders ({_ORDER_COLS}, changed_at, changed_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(case_no) DO UPDATE SET court=excluded.court, caption=excluded.caption, "
        "signed_on=excluded.signed_on, effective_from=excluded.effective_from, "
        "effective_to=excluded.effective_to, status=excluded.status, "
        "enjoined_recipients=excluded.enjoined_recipients, enjoined_purposes=excluded.enjoined_purposes, "
        "enjoined_items=excluded.enjoined_items, note=excluded.note, changed_at=excluded.changed_at, "
        "changed_by=excluded.changed_by",
        (o.case_no, o.court, o.caption, o.signed_on, o.effective_from, o.effective_to, o.status,
         json.dumps(list(o.enjoined_recipients)), json.dumps(list(o.enjoined_purposes)),
         json.dumps(list(o.enjoined_items)), o.note, at, by))
    return existed


def get_agency(conn: Connection, code: str) -> AgencyEntry | None:
    row = conn.execute("SELECT agency_code, name, safeguards_current, open_findings, corrective_plan, "
                       "last_review FROM agencies WHERE agency_code = ?", (code,)).fetchone()
    if row is None:
        return None
    return AgencyEntry(row[0], row[1], bool(row[2]), int(row[3]), bool(row[4]), row[5])


def put_agency(conn: Connection, a: AgencyEntry, *, at: str, by: str) -> bool:
    existed = get_agency(conn, a.agency_code) is not None
    conn.execute(
        "INSERT INTO agencies (agency_code, name, safeguards_current, open_findings, corrective_plan, "
        "last_review, changed_at, changed_by) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(agency_code) DO UPDATE SET "
        "name=excluded.name, safeguards_current=excluded.safeguards_current, "
        "open_findings=excluded.open_findings, corrective_plan=excluded.corrective_plan, "
        "last_review=excluded.last_review, changed_at=excluded.changed_at, changed_by=excluded.changed_by",
        (a.agency_code, a.name, int(a.safeguards_current), a.open_findings, int(a.corrective_plan),
         a.last_review, at, by))
    return existed


def all_agencies(conn: Connection) -> list[AgencyEntry]:
    """Every agency register entry, by agency code (a migration into an office moves them)."""
    return [AgencyEntry(r[0], r[1], bool(r[2]), int(r[3]), bool(r[4]), r[5]) for r in conn.execute(
        "SELECT agency_code, name, safeguards_current, open_findings, corrective_plan, last_review FROM agencies "
        "ORDER BY agency_code")]
