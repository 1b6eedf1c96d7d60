"""import, list."""

from __future__ import annotations

import argparse
import dataclasses
from datetime import date
from pathlib import Path

from .. import clock as clocks
from ..model import REQUEST_STATUSES, QueueRow
from ..service import deadlines
from ..wording import count, days_left, number
from . import common
from .table import Column, render


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("import", parents=[parent], help="import a file")
    isub = p.add_subparsers(dest="import_kind", metavar="KIND", required=True)
    for kind, helptext in (("records", "taxpayer records CSV"), ("request", "request package JSON"),
                           ("order", "court order JSON (counsel)"), ("agency", "agency register entry JSON")):
        ip = isub.add_parser(kind, parents=[parent], help=helptext)
        ip.add_argument("file", type=Path)
        ip.set_defaults(func=cmd_import)

    p = sub.add_parser("list", parents=[parent], help="the review queue: due dates, days left or overdue")
    p.add_argument("--status", metavar="S", choices=REQUEST_STATUSES,
                   help="only requests in this status: " + ", ".join(REQUEST_STATUSES))
    p.set_defaults(func=cmd_list)


def cmd_import(args: argparse.Namespace) -> int:
    with common.open_session(args) as s:
        kind = args.import_kind
        if kind in ("records", "request"):
            progress = common.TerminalProgress("rows" if kind == "records" else "subjects")
            fn = s.import_records if kind == "records" else s.import_request
            summary = fn(args.file, progress)
            progress.finish()
        elif kind == "order":
            summary = s.import_order(args.file)
        else:
            summary = s.import_agency(args.file)
    if args.json:
        common.emit_json(dataclasses.asdict(summary))
    elif kind == "records":
        print(f"Imported {count(summary.rows, 'taxpayer record row')} from {summary.source} "
              f"({summary.inserted:,} new, {summary.replaced:,} replaced).")
    elif kind == "request":
        print(f"Imported request {summary.ident} with {count(summary.rows, 'subject')} from {summary.source}.")
    else:
        what = "court order" if kind == "order" else "agency entry"
        verb = "Updated" if summary.replaced else "Imported"
        print(f"{verb} {what} {summary.ident} from {summary.source}.")
    return 0


QUEUE_COLUMNS = (Column("REQUEST"), Column("AGENCY", limit=24), Column("AUTHORITY", limit=12), Column("RECEIVED"),
                 Column("DUE"), Column("LEFT"), Column("SUBJECTS", right=True), Column("STATUS"),
                 Column("RECOMMENDATION"))


def cmd_list(args: argparse.Namespace) -> int:
    with common.open_session(args) as s:
        rows = s.queue(status=args.status)
    return print_queue(args, rows)


def print_queue(args: argparse.Namespace, rows: list[QueueRow],
                claims: dict[str, str | None] | None = None) -> int:
    """The queue as `dws list` prints it (a local store's or an office's). `claims` (an office's): who claimed each
    request, an extra column (and JSON field "claimed_by")."""
    today = clocks.today()
    if args.json:
        common.emit_json([_fields(r) | {"days_left": deadlines.days_left(r, today),
                                                   "overdue": deadlines.is_overdue(r, today)}
                          | ({} if claims is None else {"claimed_by": claims.get(r.request_id)}) for r in rows])
        return 0
    table = [(r.request_id, r.agency_code or r.agency, r.authority, r.received_on, r.due_on or "", _left(r, today),
              number(r.subjects), r.status, r.recommendation or "") for r in rows]
    if claims is None:
        lines = render(QUEUE_COLUMNS, table)
    else:
        lines = render((*QUEUE_COLUMNS, Column("CLAIMED BY")),
                       [(*t, claims.get(r.request_id) or "") for t, r in zip(table, rows, strict=True)])
    print("\n".join(lines))
    return 0


def _fields(row: QueueRow) -> dict[str, object]:
    """A queue row's JSON fields: an office's claim is the `claims` column's (so a local list has no claimed_by)."""
    return {k: v for k, v in dataclasses.asdict(row).items() if k != "claimed_by"}


def _left(row: QueueRow, today: date) -> str:
    return days_left(deadlines.days_left(row, today), overdue="OVERDUE")     # capitals: the GUI's bold
