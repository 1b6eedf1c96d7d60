"""log checkpoint, log key, log prove: the audit log's signed checkpoints and inclusion proofs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import InputError, UsageError
from ..fsutil import atomic_write
from ..inputfiles import MAX_SECRET_BYTES, read_input_file
from ..model import InclusionProof
from ..wording import count
from . import common


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("log", parents=[parent], help="the audit log's signed checkpoints and inclusion proofs")
    lsub = p.add_subparsers(dest="log_command", metavar="ACTION", required=True)
    c = lsub.add_parser("checkpoint", parents=[parent], help="a signed checkpoint of the audit log now "
                        "(C2SP tlog-checkpoint, signed note)")
    c.add_argument("-o", "--output", type=Path, metavar="FILE", help="write it to FILE (default: stdout)")
    c.set_defaults(func=cmd_checkpoint)
    k = lsub.add_parser("key", parents=[parent], help="a user's checkpoint verifier key (signed-note format)")
    k.add_argument("name", nargs="?", metavar="USER", help="default: the signed-in user")
    k.set_defaults(func=cmd_key)
    r = lsub.add_parser("prove", parents=[parent], help="inclusion proofs (dws.inclusion/1) against the latest "
                        "checkpoint: one entry, a request's entries, or one taxpayer's views")
    what = r.add_mutually_exclusive_group(required=True)
    what.add_argument("--entry", type=common.record_number, metavar="SEQ",
                      help="one log entry: its dws.inclusion/1 proof")
    what.add_argument("--request", metavar="ID", help="every entry about this request: a JSON list")
    what.add_argument("--tin-file", type=Path, metavar="FILE", help="every view of the taxpayer whose TIN is "
                      "in FILE ('-': standard input): a JSON list. The TIN is never taken as an argument "
                      "(shell history, process list) and never printed")
    r.add_argument("-o", "--output", type=Path, metavar="FILE", help="write the proof or proofs to FILE")
    r.set_defaults(func=cmd_prove)


def _write(text: str, target: Path | None) -> None:
    if target is None:
        sys.stdout.write(text)
    else:
        atomic_write(target, text.encode("utf-8"))


def cmd_checkpoint(args: argparse.Namespace) -> int:
    with common.open_session(args) as s:
        common.open_card_for_checkpoints(args, s)
        info = s.checkpoint()
    if args.json:
        common.emit_json({"size": info.size, "root": info.root_hex, "signer": info.signer,
                          "verifier_key": info.verifier_key, "checkpoint": info.note,
                          "file": str(args.output) if args.output else None})
        if args.output:
            _write(info.note, args.output)
        return 0
    _write(info.note, args.output)
    if args.output:
        print(f"Checkpoint of {count(info.size, 'log entry', 'log entries')} signed by {info.signer}, written to "
              f"{args.output}",
              file=sys.stderr)
    return 0


def cmd_key(args: argparse.Namespace) -> int:
    with common.open_session(args) as s:
        key = s.checkpoint_verifier_key(args.name)
    if args.json:
        common.emit_json({"user": args.name or s.user, "verifier_key": key})
    else:
        print(key)
    return 0


def _read_tin(path: Path) -> str:
    try:
        text = (sys.stdin.read() if str(path) == "-"
                else read_input_file(path, MAX_SECRET_BYTES, what="a TIN file").decode("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the TIN file ({exc.__class__.__name__})", source=str(path)) from None
    if not text.strip():
        raise UsageError("the TIN file is empty")
    return text.strip()


def _listed(proofs: list[InclusionProof]) -> list[dict[str, Any]]:
    """Proofs of several entries as `log prove` writes them: each entry's bytes beside its proof."""
    return [{"seq": pr.seq, "entry": pr.entry, "proof": pr.as_dict()} for pr in proofs]


def cmd_prove(args: argparse.Namespace) -> int:
    """On a local store or an office (StoreEngine members). What a taxpayer's list may leave out, and an export of
    proofs an older office could not log, are a line each on stderr (`dws: note: ...`)."""
    doc: dict[str, Any] | list[dict[str, Any]]
    notices: list[str] = []
    with common.open_engine(args) as e:
        if args.tin_file is not None:
            views = e.prove_taxpayer_views(_read_tin(args.tin_file))
            doc, notices = _listed(views.proofs), list(views.notices)
        else:
            doc = (e.prove_entry(args.entry).as_dict() if args.entry is not None
                   else _listed(e.prove_request(args.request)))
        if args.entry is None and not e.proofs_logged():      # an office's (a local store logs them always)
            from ..service.office_proofs import UNLOGGED

            notices.append(UNLOGGED)
    for notice in notices:
        print(f"dws: note: {notice}", file=sys.stderr)
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    _write(text, args.output)
    if args.output:
        written = 1 if isinstance(doc, dict) else len(doc)
        print(f"{count(written, 'inclusion proof')} written to {args.output}", file=sys.stderr)
    return 0
