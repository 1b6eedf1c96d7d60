"""`dws accounting --year YYYY [-o FILE.csv]` on an office store (issue 19, i19x): the same totals and the same
CSV the local store gives for the same disclosures (service/accounting.py).

The server holds no disclosure row in clear: each letter's accounting rows are in its sealed record
(service/office_letters.py), so the desktop opens every letter's record, keeps the rows of the year and counts
them as the local store's SQL counts them (requests by request id, taxpayers by TIN and type, per agency code,
recipients without one last). Exporting the rows (with TINs) is logged in the office log before the file appears,
an auditor's export too (the server lets an auditor append entries of reading: store/office/log.READING_EVENTS).
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

from .. import clock as clocks
from ..fsutil import atomic_file
from ..redaction.preview import format_tin
from ..results import AccountingSummary, AgencyTotal
from ..store.office import decisions as decisions_sql
from . import accounting, office_errors, office_letters, office_orders
from .office_records import OfficeCtx

# one accounting row as a letter's sealed record keeps it (store/office_copy.disclosures_of's columns)
(RID, REQUEST_ID, LETTER_ID, DECISION_ID, AGENCY_CODE, AGENCY, TIN, TIN_TYPE, REF, ITEMS, AUTHORITY, PURPOSE,
 DISCLOSED_AT) = range(13)

UNREACHABLE = "office server unreachable: the connection ended while the accounting was read; try again when the " \
              "server is back"


def _disclosures(o: OfficeCtx, year: int) -> list[list[object]]:
    """The year's accounting rows of every letter, in the order they were made (issue time, then each letter's
    own order), as the local store's disclosures table orders them."""
    start, end = clocks.year_bounds(year)
    found: list[list[object]] = []
    for letter_id in decisions_sql.letter_ids_in_order(o.conn):     # one letter's record (its PDF) at a time
        letter = decisions_sql.letter_by_id(o.conn, letter_id)
        if letter is None:
            continue
        for row in office_letters.letter_record(o, letter)["disclosures"]:
            if start <= str(row[DISCLOSED_AT]) < end:
                found.append(row)
    found.sort(key=lambda r: str(r[DISCLOSED_AT]))         # stable: a letter's rows stay in its order
    return found


def _total(code: str | None, rows: list[list[object]]) -> AgencyTotal:
    return AgencyTotal(code, len({r[REQUEST_ID] for r in rows}), len(rows),
                       len({f"{r[TIN]}:{r[TIN_TYPE]}" for r in rows}))


def _summary(year: int, rows: list[list[object]]) -> AccountingSummary:
    codes = sorted({r[AGENCY_CODE] for r in rows}, key=lambda c: (c is None, str(c or "")))
    agencies = tuple(_total(None if c is None else str(c), [r for r in rows if r[AGENCY_CODE] == c]) for c in codes)
    return AccountingSummary(year, agencies, _total("*", rows))


def summary(o: OfficeCtx, year: int) -> AccountingSummary:
    """The year's totals per agency code (no taxpayer data)."""
    office_orders.require(o, "read-accounting")
    year = accounting._year(year)
    with office_errors.mapped(lost=UNREACHABLE):
        return _summary(year, _disclosures(o, year))


def export(o: OfficeCtx, year: int, path: Path) -> AccountingSummary:
    """Write the year's disclosures and the per-agency totals as CSV to `path` (atomic, 0600), the local store's
    file; logged in the office log, and the file kept only once the entry is committed."""
    office_orders.require(o, "read-accounting")
    year = accounting._year(year)
    with office_errors.mapped(lost=f"{UNREACHABLE}; nothing was written",
                              refused="the office server refuses it: {said}; nothing was written"):
        rows = _disclosures(o, year)
        totals = _summary(year, rows)
        cell = accounting._cell
        with atomic_file(path) as fh:
            out = codecs.getwriter("utf-8")(fh)
            w = csv.writer(out, lineterminator="\n")
            w.writerow(accounting.HEADER)
            for r in rows:
                w.writerow(["disclosure", r[DISCLOSED_AT], cell(r[REQUEST_ID]), r[LETTER_ID], r[DECISION_ID],
                            cell(r[AGENCY_CODE]), cell(r[AGENCY]), cell(r[REF]),
                            format_tin(str(r[TIN]), str(r[TIN_TYPE])), r[TIN_TYPE], r[ITEMS], r[AUTHORITY],
                            cell(r[PURPOSE]), "", "", ""])
            for t in (*totals.agencies, totals.total):
                total = t.agency_code == "*"
                w.writerow(["total" if total else "agency-total", "", "", "", "", "" if total else cell(t.agency_code),
                            "", "", "", "", "", "", "", t.requests, t.disclosures, t.taxpayers])
            out.flush()
            with o.conn.transaction():          # before the file is in place: an unlogged export is no export
                o.log("accounting-exported", str(year), {"year": year, "disclosures": len(rows),
                                                         "target": str(path)})
    return totals
