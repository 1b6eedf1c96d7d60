"""import, list."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from . import common


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("import", parents=[parent], help="import a file")
    isub = p.add_subparsers(dest="import_kind", metavar="KIND", required=True)
    for kind, helptext in (("records", "taxpayer records CSV"), ("request", "request package JSON"),
                           ("order", "court order JSON (counsel)"), ("agency", "agency register entry JSON")):
        ip = isub.add_parser(kind, parents=[parent], help=helptext)
        ip.add_argument("file", type=Path)
        ip.set_defaults(func=cmd_import)

    p = sub.add_parser("list", parents=[parent], help="the review queue")
    p.add_argument("--status", metavar="S")
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
        print(f"Imported {summary.rows:,} taxpayer record rows from {summary.source} "
              f"({summary.inserted:,} new, {summary.replaced:,} replaced).")
    elif kind == "request":
        print(f"Imported request {summary.ident} with {summary.rows:,} subjects from {summary.source}.")
    else:
        what = "court order" if kind == "order" else "agency entry"
        verb = "Updated" if summary.replaced else "Imported"
        print(f"{verb} {what} {summary.ident} from {summary.source}.")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with common.open_session(args) as s:
        rows = s.queue(status=args.status)
    if args.json:
        common.emit_json([dataclasses.asdict(r) for r in rows])
        return 0
    header = (f"{'REQUEST':<22} {'AGENCY':<12} {'AUTHORITY':<11} {'RECEIVED':<10} {'DUE':<10} {'SUBJECTS':>9} "
              f"{'STATUS':<10} RECOMMENDATION")
    print(header)
    for r in rows:
        print(f"{r.request_id:<22} {(r.agency_code or r.agency)[:12]:<12} {r.authority[:11]:<11} "
              f"{r.received_on:<10} {r.due_on or '':<10} {r.subjects:>9,} {r.status:<10} {r.recommendation or ''}")
    return 0
