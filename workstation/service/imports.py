"""Imports: each one transaction, logged with ids and counts (never taxpayer values).

A bad file raises InputError from the intake parser, possibly half-way through a stream; the transaction
is then rolled back, so the store is exactly as it was. A crash (kill -9) mid-import leaves the same.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from ..canonical import canonical_json, utc_now
from ..crypto.digest import Hasher
from ..duedates import BeyondCalendar, due_date
from ..errors import InputError
from ..intake import read_agency, read_court_order, read_request
from ..model import AgencyEntry, CourtOrder, ImportSummary
from ..store import db, orders
from ..store import evaluation as ev
from ..store import requests as requests_sql
from ..wording import count
from .context import CancelCheck, Ctx, Progress
from .records_load import check_cancel, copy_records

SUBJECT_BATCH = 20_000


def import_records(s: Ctx, path: Path, progress: Progress | None, cancelled: CancelCheck | None
                   ) -> ImportSummary:
    s.require("import-records")
    with db.transaction(s.conn):
        total, inserted = copy_records(s.conn, path, progress, cancelled)
        replaced = total - inserted
        ev.bump_data_version(s.conn)
        s.log("records-imported", path.name, {"rows": total, "inserted": inserted, "replaced": replaced})
    return ImportSummary("records", path.name, total, inserted=inserted, replaced=replaced)


def import_request(s: Ctx, path: Path, progress: Progress | None, cancelled: CancelCheck | None
                   ) -> ImportSummary:
    s.require("import-request")
    parsed = read_request(path)
    pkg = parsed.package
    package_json = canonical_json(dataclasses.asdict(pkg)).decode("utf-8")
    due = _due_date(s, parsed.source, pkg.authority, pkg.received_on)
    digest = Hasher(package_json.encode("utf-8"))
    with db.transaction(s.conn):
        existing = requests_sql.find(s.conn, pkg.request_id)
        if existing is not None:
            raise InputError(f"request {pkg.request_id} is already in the store (imported {existing[1][:10]} "
                             f"by {existing[2]}); a request package is imported once", source=path.name)
        rid = requests_sql.insert(
            s.conn, request_id=pkg.request_id, received_on=pkg.received_on, authority=pkg.authority,
            agency=pkg.requester.agency, agency_code=pkg.requester.agency_code, due_on=due.isoformat(),
            package=package_json, source=path.name, imported_at=utc_now(), imported_by=s.user or "recovery")
        count = 0
        reasons: Counter[str] = Counter()
        for batch in parsed.subject_batches(SUBJECT_BATCH):
            check_cancel(cancelled)
            requests_sql.insert_packed_subjects(s.conn, rid, count, batch.json)
            digest.update(batch.hashed)         # each subject's canonical JSON, as the package hash takes it
            reasons.update(batch.reasons)
            count += batch.count
            if progress:
                progress(count, None)
        # The REASON check's count of each reason (a request's subjects never change): only those given twice or
        # more, the others are never shared
        requests_sql.insert_shared_reasons(s.conn, rid, [(k, n) for k, n in reasons.items() if n > 1])
        del reasons
        requests_sql.finish(s.conn, rid, count, digest.hexdigest())
        s.log("request-imported", pkg.request_id,
              {"authority": pkg.authority, "subjects": count, "source": path.name,
               "package_hash": digest.hexdigest()})
    return ImportSummary("request", path.name, count, inserted=count, ident=pkg.request_id)


def _due_date(s: Ctx, source: str, authority: str, received_on: str) -> date:
    settings = s.settings()
    return request_due_date(source, authority, received_on, settings["agency_due_days"],
                            settings["foia_due_working_days"])


def request_due_date(source: str, authority: str, received_on: str, agency_days: int, foia_days: int) -> date:
    """The request's due date; one that would fall after the calendar's last day is the file's problem (named by
    its field), not a crash."""
    try:
        return due_date(authority, date.fromisoformat(received_on), agency_days=agency_days, foia_days=foia_days)
    except BeyondCalendar:
        limit = (f"{count(foia_days, 'working day')} (setting foia_due_working_days)" if authority == "foia" else
                 f"{count(agency_days, 'day')} (setting agency_due_days)")
        raise InputError(f"is too late a date: the due date, {limit} after it, would fall after 9999-12-31, the "
                         "last day the calendar holds", source=source, where="$.received_on") from None


def import_order(s: Ctx, path: Path) -> ImportSummary:
    s.require("import-order")
    order = read_court_order(path)
    with db.transaction(s.conn):
        replaced = orders.put_order(s.conn, order, at=utc_now(), by=s.user or "recovery")
        ev.bump_data_version(s.conn)
        s.log(*order_entry(order, replaced))
    return register_summary("order", path, order.case_no, replaced)


def import_agency(s: Ctx, path: Path) -> ImportSummary:
    s.require("import-agency")
    entry = read_agency(path)
    with db.transaction(s.conn):
        replaced = orders.put_agency(s.conn, entry, at=utc_now(), by=s.user or "recovery")
        ev.bump_data_version(s.conn)
        s.log(*agency_entry(entry, replaced))
    return register_summary("agency", path, entry.agency_code, replaced)


# a register entry's log entry and summary, the local store's and the office's (office_orders.py) alike
def order_entry(order: CourtOrder, replaced: bool) -> tuple[str, str, dict[str, Any]]:
    """The log entry (event, object, detail) of a court order imported or updated."""
    return ("court-order-updated" if replaced else "court-order-imported", order.case_no,
            {"status": order.status, "recipients": list(order.enjoined_recipients),
             "purposes": list(order.enjoined_purposes), "items": list(order.enjoined_items)})


def agency_entry(entry: AgencyEntry, replaced: bool) -> tuple[str, str, dict[str, Any]]:
    """The log entry (event, object, detail) of an agency register entry imported or updated."""
    return ("agency-updated" if replaced else "agency-imported", entry.agency_code,
            {"safeguards_current": entry.safeguards_current, "open_findings": entry.open_findings})


def register_summary(kind: str, path: Path, ident: str, replaced: bool) -> ImportSummary:
    return ImportSummary(kind, path.name, 1, inserted=0 if replaced else 1, replaced=int(replaced), ident=ident)
