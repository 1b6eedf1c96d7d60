"""`dws --store PROFILE ...`: the commands on an office store (INTERCHANGE.md: `--store` takes a store folder or
an office profile file). main.py asks `profile_of(args)` first and, for a profile, runs `run(args, profile)`
instead of the command's own function.

An office store has `import records`, `import request`, `list` (the queue) and `verify` (its log's chain) so
far; every other command says so in one line (exit 1) before anything is opened or changed.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path

from ..errors import DwsError, TamperError
from ..service import office_records, office_requests, office_session
from ..wording import count
from . import commands_data, common

NOT_OFFICE = frozenset({"office"})      # `dws office ...` names its profile itself (--profile)


class NotYetForOffice(DwsError):
    """A command an office store does not have yet (exit 1, nothing opened)."""


def profile_of(args: argparse.Namespace) -> Path | None:
    """The office profile `--store` (or $DWS_STORE) names, or None for a store folder."""
    if args.command in NOT_OFFICE:
        return None
    given = getattr(args, "store", None) or os.environ.get("DWS_STORE")
    if not given:
        return None
    path = Path(given).expanduser()
    return path if office_session.is_office_store(path) else None


def _command(args: argparse.Namespace) -> str:
    kind = getattr(args, "import_kind", None)
    return f"{args.command} {kind}" if args.command == "import" and kind else args.command


def run(args: argparse.Namespace, profile: Path) -> int:
    command = _command(args)
    if command not in office_session.OFFICE_COMMANDS or (command == "verify" and getattr(args, "against", None)):
        shown = "verify --against" if command == "verify" else command
        has = [repr("dws " + c) for c in office_session.OFFICE_COMMANDS]
        raise NotYetForOffice(f"'dws {shown}' is not yet available for an office store ({profile.name}); an office "
                              f"store has {', '.join(has[:-1])} and {has[-1]} so far; nothing was changed")
    user, secret = common.user_name(args), common.passphrase(args)
    with office_session.opened(profile, user, secret) as o:
        if command == "verify":
            return _verify(args, office_session.verify_log(o))
        if command == "list":
            rows = office_requests.queue(o, args.status)
        else:
            progress = common.TerminalProgress("rows" if command == "import records" else "subjects")
            importer = office_records.import_records if command == "import records" else office_requests.import_request
            summary = importer(o, args.file, progress)
            progress.finish()
    if command == "list":
        return commands_data.print_queue(args, rows)
    if args.json:
        common.emit_json(dataclasses.asdict(summary))
    elif command == "import request":
        print(f"Imported request {summary.ident} with {count(summary.rows, 'subject')} from {summary.source} into "
              "the office.")
    else:
        print(f"Imported {count(summary.rows, 'taxpayer record row')} from {summary.source} into the office "
              f"({summary.inserted:,} new, {summary.replaced:,} replaced).")
    return 0


def _verify(args: argparse.Namespace, report: office_session.OfficeLogReport) -> int:
    if args.json:
        common.emit_json(report.as_dict())
        return 0 if report.ok else TamperError.exit_code
    print(f"Office log: {count(report.entries, 'entry', 'entries')}")
    for problem in report.problems:
        print(f"  TAMPERING: {problem}")
    if not report.ok:
        raise TamperError("verification found tampering (see above)")
    print("OK: the office log's chain is whole.")
    return 0
