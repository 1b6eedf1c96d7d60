"""`dws letter` and `dws verify-letter` on an office store (office_store.py dispatches here): what the local
commands print (commands_letters.py), from service/office_letters.py."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import clock as clocks
from ..errors import os_error
from ..fsutil import atomic_write
from ..service import office_letters
from ..service.office_records import OfficeCtx
from . import common
from .commands_letters import print_check


def letter(args: argparse.Namespace, o: OfficeCtx) -> int:
    target: Path = args.output
    issued = office_letters.issue(o, args.request_id, clocks.today())
    # logged before the file is written, as the local store does (AU-2: every export is logged)
    office_letters.record_output(o, issued, str(target.resolve()))
    try:
        atomic_write(target, issued.pdf)
    except OSError as exc:
        raise os_error(exc, str(target), f"letter {issued.letter_id} is issued and kept in the office, but this file "
                       f"was not written (run 'dws letter {args.request_id} -o FILE' again to write the same "
                       "letter)") from None
    if args.json:
        common.emit_json({"letter_id": issued.letter_id, "decision_id": issued.decision_id, "kind": issued.kind,
                          "pages": issued.pages, "sha256": issued.sha256, "issued_now": issued.new,
                          "file": str(target)})
    else:
        how = "issued now" if issued.new else f"issued {issued.issued_at[:10]} by {issued.issued_by}"
        print(f"Letter {issued.letter_id} ({issued.kind}, {issued.pages} page{'s' * (issued.pages != 1)}) for "
              f"decision {issued.decision_id}, {how}: written to {target}")
        print(f"  SHA-256 {issued.sha256}")
    return 0


def verify_letter(args: argparse.Namespace, o: OfficeCtx, data: bytes) -> int:
    check = office_letters.verify(o, data, str(args.file))
    return print_check(args, check)
