"""`dws --store PROFILE ...`: the commands on an office store (INTERCHANGE.md: `--store` takes a store folder or
an office profile file). main.py asks `profile_of(args)` first and, for a profile, runs `run(args, profile)`
instead of the command's own function.

An office store has `import records`, `import request`, `list` (the queue, with each request's claim),
`evaluate` (service/office_evaluation.py), `accounting` (service/office_accounting.py), `verify` (its log's chain;
`--against FILE...` its checkpoints too), `log checkpoint` / `log key`, and `override`, `settings list/get/set`,
`user list` and `log prove` (service/office_proofs.py), which run the local
command's own function on the office session (common.open_engine: StoreEngine members on both engines); every
other command says so in one line (exit 1) before anything is opened or changed. `dws gui` on a profile is the
desktop application's (ui/office_app.py, over service/office_desktop.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from .. import clock as clocks
from ..errors import DwsError, TamperError, os_error
from ..fsutil import atomic_write
from ..inputfiles import MAX_LETTER_BYTES, read_input_file
from ..wording import count
from . import commands_data, commands_decide, commands_letters, commands_review, common

if TYPE_CHECKING:
    from ..model import CheckpointInfo, WitnessCheck
    from ..results import DecisionExport
    from ..service.office_records import OfficeCtx
    from ..service.office_session import OfficeLogReport

# the commands that run the local command's own function on either engine (StoreEngine members: i19o)
ENGINE_COMMANDS = frozenset({"override", "settings list", "settings get", "settings set", "user list", "log prove"})
# `dws office ...` names its profile itself (--profile); `dws gui` opens the application on the profile
NOT_OFFICE = frozenset({"office", "gui"})


class NotYetForOffice(DwsError):
    """A command an office store does not have yet (exit 1, nothing opened)."""


def profile_of(args: argparse.Namespace) -> Path | None:
    """The office profile `--store` (or $DWS_STORE) names, or None for a store folder."""
    return None if args.command in NOT_OFFICE else common.office_profile(args)


def _card_pin(args: argparse.Namespace, o: OfficeCtx) -> OfficeCtx:
    """`o` with the card's PIN (`--pin-file`, $DWS_PIN or a prompt) when the user's signing key is on a card, as
    the local store's `common.signing_secret` asks for it; else `o` as it is."""
    from ..office import signing_key

    if signing_key.card_of(o.conn, o.user or "") is None:
        return o
    return dataclasses.replace(o, card_pin=common.pin(args))


def _command(args: argparse.Namespace) -> str:
    kind = getattr(args, "import_kind", None)
    if args.command == "log":
        return f"log {args.log_command}"
    if args.command == "export":
        return f"export {args.export_kind}"
    if args.command in ("settings", "user"):
        return f"{args.command} {getattr(args, args.command + '_command')}"
    return f"{args.command} {kind}" if args.command == "import" and kind else args.command


def run(args: argparse.Namespace, profile: Path) -> int:
    from ..service import office_session

    # psycopg logs a warning when a COPY it is ending cannot tell the lost server ("error ignored terminating
    # <psycopg.Copy [BAD]>: the connection is lost"); Python prints an unhandled warning on stderr, a second line
    # beside the one message the lost connection gives (office_records.import_records): not for the officer.
    logging.getLogger("psycopg").addHandler(logging.NullHandler())
    command = _command(args)
    if command not in office_session.OFFICE_COMMANDS:
        named = [repr("dws " + c) for c in office_session.OFFICE_COMMANDS]
        have = f"{', '.join(named[:-1])} and {named[-1]}"
        raise NotYetForOffice(f"'dws {command}' is not yet available for an office store ({profile.name}); an office "
                              f"store has {have} so far; nothing was changed")
    if command in ENGINE_COMMANDS:      # the local command itself, on the office session (common.open_engine)
        return int(args.func(args) or 0)
    from ..service import (
        office_accounting,
        office_card,
        office_decisions,
        office_evaluation,
        office_orders,
        office_records,
        office_requests,
        office_witness,
        witness,
    )
    from . import office_letters

    witnesses = witness.load(args.against) if command == "verify" and args.against else None
    as_of = commands_review.as_of_date(args.as_of) if command == "evaluate" else None
    letter_file = (read_input_file(args.file, MAX_LETTER_BYTES, what="a letter PDF") if command == "verify-letter"
                   else None)
    user, secret = common.user_name(args), common.passphrase(args)
    with office_session.opened(profile, user, secret) as o, _witnessed(o, profile):
        if command == "verify":
            if witnesses is not None:
                return _verify_against(args, *office_witness.check(o, witnesses))
            return _verify(args, office_session.verify_log(o))
        if command == "log checkpoint":
            if office_card.checkpoint_on_card(o):       # the PIN opens the card the checkpoint key is on
                office_card.open_card(o, common.pin(args))
            return _checkpoint(args, office_witness.sign_checkpoint(o))
        if command == "log key":
            key = office_witness.verifier_key(o, args.name)
            if args.json:
                common.emit_json({"user": args.name or o.user, "verifier_key": key})
            else:
                print(key)
            return 0
        if command == "evaluate":
            assert as_of is not None
            return _evaluate(args, o, as_of)
        if command in ("decide", "approve") or (command == "letter" and not office_letters.issued_already(
                o, args.request_id)):
            o = _card_pin(args, o)          # a key on a card signs with the card's PIN (asked after the unlock)
        if command in ("decide", "approve"):
            today = clocks.today()
            decision = (office_decisions.decide(o, args.request_id, args.outcome, args.justification, today)
                        if command == "decide" else office_decisions.approve(o, args.request_id, today))
            commands_decide.print_decision(args, decision)
            return 0
        if command == "letter":
            return office_letters.letter(args, o)
        if command == "verify-letter":
            assert letter_file is not None
            return office_letters.verify_letter(args, o, letter_file)
        if command == "accounting":
            totals = (office_accounting.export(o, args.year, args.output) if args.output
                      else office_accounting.summary(o, args.year))
            return commands_letters.print_accounting(args, totals)
        if command == "export decision":
            return _export_decision(args, office_decisions.export(o, args.request_id))
        if command == "list":
            rows = office_requests.queue(o, args.status)
            extras = office_evaluation.queue_extras(o)
        elif command in ("import order", "import agency"):
            summary = (office_orders.import_order if command == "import order" else office_orders.import_agency)(
                o, args.file)
        else:
            progress = common.TerminalProgress("rows" if command == "import records" else "subjects")
            importer = office_records.import_records if command == "import records" else office_requests.import_request
            summary = importer(o, args.file, progress)
            progress.finish()
    if command == "list":
        if extras is None:
            return commands_data.print_queue(args, rows)
        rows = [dataclasses.replace(r, recommendation=extras.get(r.request_id, (None, None))[1]) for r in rows]
        return commands_data.print_queue(args, rows, {k: v[0] for k, v in extras.items()})
    if args.json:
        common.emit_json(dataclasses.asdict(summary))
    elif command in ("import order", "import agency"):
        what = "court order" if command == "import order" else "agency entry"
        print(f"{'Updated' if summary.replaced else 'Imported'} {what} {summary.ident} from {summary.source} into the "
              "office.")
    elif command == "import request":
        print(f"Imported request {summary.ident} with {count(summary.rows, 'subject')} from {summary.source} into "
              "the office.")
    else:
        print(f"Imported {count(summary.rows, 'taxpayer record row')} from {summary.source} into the office "
              f"({summary.inserted:,} new, {summary.replaced:,} replaced).")
    return 0


@contextmanager
def _witnessed(o: OfficeCtx, profile: Path) -> Iterator[None]:
    """After a command that wrote to the office log, a checkpoint of it to the witness folder
    (service/office_witness_folder.py; its notice or warning on stderr, the command's work standing)."""
    from ..office.profile import load
    from ..service import office_witness_folder

    before = office_witness_folder.head(o)
    try:
        yield
    finally:
        common.tell_witness(office_witness_folder.after_command(o, load(profile), before))


def _evaluate(args: argparse.Namespace, o: OfficeCtx, as_of: date) -> int:
    """`dws evaluate` on an office: what the local store prints for the same data; a notice (a claim that stays
    another's, an auditor's evaluation not recorded) in one line on stderr."""
    from ..service import office_evaluation

    progress = common.TerminalProgress("subjects")
    result = office_evaluation.evaluate(o, args.request_id, as_of, summary=args.summary or not args.json,
                                        progress=progress)
    progress.finish()
    for notice in result.notices:
        print(notice, file=sys.stderr)
    return commands_review.print_evaluation(args, result.document)


def _export_decision(args: argparse.Namespace, exported: DecisionExport) -> int:
    """The local store's `dws export decision` files and README, from the office's decision."""
    out: Path = args.output
    out.mkdir(parents=True, exist_ok=True)
    for name, data in exported.files.items():
        atomic_write(out / name, data)
    atomic_write(out / "README.txt", commands_decide.verify_readme(exported.files).encode())
    if args.json:
        common.emit_json({"decision_id": exported.decision_id, "directory": str(out), "files": sorted(exported.files)})
    else:
        print(f"Exported decision {exported.decision_id} to {out}: {', '.join(sorted(exported.files))}")
    return 0


def _checkpoint(args: argparse.Namespace, info: CheckpointInfo) -> int:
    if args.output:
        try:
            atomic_write(args.output, info.note.encode("utf-8"))
        except OSError as exc:
            raise os_error(exc, str(args.output), "the checkpoint was not written") from None
    if args.json:
        common.emit_json({"size": info.size, "root": info.root_hex, "signer": info.signer,
                          "verifier_key": info.verifier_key, "checkpoint": info.note,
                          "file": str(args.output) if args.output else None})
    elif args.output:
        print(f"Checkpoint of {count(info.size, 'office log entry', 'office log entries')}, signed with the office's "
              f"checkpoint key by {info.signer}, written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(info.note)
    return 0


def _verify_against(args: argparse.Namespace, report: OfficeLogReport,
                    checks: list[WitnessCheck]) -> int:
    failed = [w for w in checks if not w.ok]
    if args.json:
        common.emit_json({**report.as_dict(), "ok": report.ok and not failed,
                          "witnesses": [w.as_dict() for w in checks]})
        return 0 if report.ok and not failed else TamperError.exit_code
    print(f"Office log: {count(report.entries, 'entry', 'entries')}")
    for w in checks:
        if w.ok:
            print(f"  witness {w.source}: {count(w.size or 0, 'entry', 'entries')}: the office log extends it")
    for problem in [*report.problems, *(w.problem or "" for w in failed)]:
        print(f"  TAMPERING: {problem}")
    if failed:
        raise TamperError(f"the office log no longer extends checkpoint {failed[0].source} (see above)")
    if not report.ok:
        raise TamperError("verification found tampering (see above)")
    print("OK: the office log's chain is whole and extends every checkpoint given.")
    return 0


def _verify(args: argparse.Namespace, report: OfficeLogReport) -> int:
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
