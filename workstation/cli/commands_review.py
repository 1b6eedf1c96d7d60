"""evaluate (and, later, the review verbs that build on it)."""

from __future__ import annotations

import argparse
import dataclasses
from datetime import date
from typing import Any

from .. import clock as clocks
from ..errors import UsageError
from ..model import ELEMENTS
from . import common
from .table import Column, render


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("evaluate", parents=[parent], help="run every check; print the recommendation and findings")
    p.add_argument("request_id", metavar="REQUEST_ID")
    p.add_argument("--summary", action="store_true", help="counts per code instead of every finding")
    p.add_argument("--as-of", metavar="DATE", help="judge court-order windows and time limits on DATE")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("override", parents=[parent], help="(reviewer) release or withhold an element, with a reason; "
                       "list or undo overrides")
    p.add_argument("request_id", metavar="REQUEST_ID")
    p.add_argument("item", nargs="?", metavar="ITEM", choices=ELEMENTS, help="data element: " + ", ".join(ELEMENTS))
    act = p.add_mutually_exclusive_group(required=True)
    act.add_argument("--release", action="store_const", const="release", dest="action")
    act.add_argument("--withhold", action="store_const", const="withhold", dest="action")
    act.add_argument("--undo", type=common.record_number, metavar="ID", help="undo override ID")
    act.add_argument("--list", action="store_true", help="list the request's overrides")
    p.add_argument("--ref", metavar="REF", help="one subject (default: every subject)")
    p.add_argument("--reason", metavar="TEXT", help="why (required for --release and --withhold)")
    p.set_defaults(func=cmd_override)


def as_of_date(text: str | None) -> date:
    if not text:
        return clocks.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of: {text!r} is not a date (YYYY-MM-DD)") from None


def cmd_evaluate(args: argparse.Namespace) -> int:
    as_of = as_of_date(args.as_of)
    with common.open_session(args) as s:
        progress = common.TerminalProgress("subjects")
        doc = s.evaluate(args.request_id, as_of, progress)
        progress.finish()
        out = s.evaluation_document(args.request_id, doc, summary=args.summary or not args.json)
    return print_evaluation(args, out)


def print_evaluation(args: argparse.Namespace, out: dict[str, Any]) -> int:
    """An evaluation's document as `dws evaluate` prints it (a local store's or an office's)."""
    if args.json:
        common.emit_json(out)
        return 0
    c = out["counts"]
    print(f"{args.request_id}: recommendation {out['recommendation'].upper()}"
          f"{' (provisional: needs review)' if out['needs_review'] else ''}")
    print(f"  subjects {c['subjects']:,}: releasable {c['releasable']:,}, withheld {c['withheld']:,}, "
          f"no record {c['no_record']:,}")
    for f in out["findings"]:
        print(f"  {f['outcome']:<12} {f['code']:<13} {f['message']}  [{f['citation']}]")
    for code, outcomes in out["findings_by_code"].items():
        bad = {o: n for o, n in outcomes.items() if o != "pass"}
        if bad and code not in {f["code"] for f in out["findings"]}:
            print(f"  {', '.join(f'{o} {n:,}' for o, n in bad.items()):<26} {code} (subjects)")
    return 0


OVERRIDE_COLUMNS = (Column("ID", right=True), Column("ACTION"), Column("ITEM"), Column("SUBJECT"), Column("STATE"),
                    Column("BY AND WHY"))


def cmd_override(args: argparse.Namespace) -> int:
    with common.open_engine(args) as s:             # a local store or an office (overrides kept in both)
        if args.list:
            rows = s.overrides(args.request_id)
            if args.json:
                common.emit_json([dataclasses.asdict(r) for r in rows])
            else:
                print("\n".join(render(OVERRIDE_COLUMNS, [
                    (str(r.id), r.action, r.item, r.ref or "(every subject)",
                     f"undone {r.undone_at[:10]}" if r.undone_at else "active", f"{r.by}: {r.reason}")
                    for r in rows])))
                if not rows:
                    print("no overrides")
            return 0
        if args.undo is not None:
            s.undo_override(args.request_id, args.undo)
            print(f"Undid override {args.undo} of {args.request_id}.")
            return 0
        if not args.item or not args.reason:
            raise UsageError("--release and --withhold need ITEM and --reason TEXT")
        oid = s.add_override(args.request_id, args.ref, args.item, args.action, args.reason)
    if args.json:
        common.emit_json({"override": oid})
    else:
        print(f"Override {oid}: {args.action} {args.item} for "
              f"{'subject ' + args.ref if args.ref else 'every subject'} of {args.request_id}.")
    return 0
