"""The accounting of disclosures, 26 U.S.C. 6103(p)(3): who received which items of which taxpayers, when,
under which authority and for what purpose, as recorded when each letter was issued.

Totals per agency code carry no taxpayer data and may be shown anywhere. The full list holds TINs: it goes
only to a file the officer chooses, written atomically and private (0600), and the export is logged.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

from .. import clock as clocks
from ..errors import InputError
from ..fsutil import atomic_file
from ..redaction.preview import format_tin
from ..results import AccountingSummary, AgencyTotal
from ..store import db
from ..store import letters as letters_sql
from .context import Ctx

HEADER = ("record", "disclosed_at", "request_id", "letter_id", "decision_id", "agency_code", "agency", "ref", "tin",
          "tin_type", "items", "authority", "purpose", "requests", "disclosures", "taxpayers")
FORMULA = ("=", "+", "-", "@", "\t", "\r")     # a cell starting with these runs as a spreadsheet formula


def _year(year: int) -> int:
    if not 1900 <= year <= 9999:
        raise InputError(f"the year is four digits, not {year}")
    return year


def summary(s: Ctx, year: int) -> AccountingSummary:
    s.require("read-accounting")
    year = _year(year)
    bounds = clocks.year_bounds(year)      # the office's calendar year
    agencies = tuple(AgencyTotal(*r) for r in letters_sql.totals(s.conn, bounds))
    return AccountingSummary(year, agencies, AgencyTotal("*", *letters_sql.grand_total(s.conn, bounds)))


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA) else text


def export(s: Ctx, year: int, path: Path) -> AccountingSummary:
    """Write the year's disclosures and the per-agency totals as CSV to `path` (streamed, atomic, 0600)."""
    totals = summary(s, year)
    rows = 0
    with atomic_file(path) as fh:
        out = codecs.getwriter("utf-8")(fh)
        w = csv.writer(out, lineterminator="\n")
        w.writerow(HEADER)
        for at, request_id, letter_id, decision_id, code, agency, ref, tin, tin_type, items, authority, purpose \
                in letters_sql.disclosures(s.conn, clocks.year_bounds(year)):
            w.writerow(["disclosure", at, _cell(request_id), letter_id, decision_id, _cell(code), _cell(agency),
                        _cell(ref), format_tin(tin, tin_type), tin_type, items, authority, _cell(purpose), "", "", ""])
            rows += 1
        for t in (*totals.agencies, totals.total):
            total = t.agency_code == "*"
            w.writerow(["total" if total else "agency-total", "", "", "", "", "" if total else _cell(t.agency_code),
                        "", "", "", "", "", "", "", t.requests, t.disclosures, t.taxpayers])
    with db.transaction(s.conn):
        s.log("accounting-exported", str(year), {"year": year, "disclosures": rows, "target": str(path)})
    return totals
