"""`dws letter` and `dws verify-letter` on an office store (office_store.py dispatches here): what the local
commands print (commands_letters.py), from service/office_letters.py."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import clock as clocks
from ..service import office_letters
from ..service.office_records import OfficeCtx
from .commands_letters import print_check, print_letter, write_letter


def issued_already(o: OfficeCtx, request_id: str) -> bool:
    """Whether the office holds the letter for the request's decision already (a reissue signs nothing)."""
    return office_letters.letter_of(o, request_id) is not None


def letter(args: argparse.Namespace, o: OfficeCtx) -> int:
    target: Path = args.output
    issued = office_letters.issue(o, args.request_id, clocks.today())
    # logged before the file is written, as the local store does (AU-2: every export is logged)
    office_letters.record_output(o, issued, str(target.resolve()))
    write_letter(issued, target, args.request_id, "the office")
    return print_letter(args, issued, target)


def verify_letter(args: argparse.Namespace, o: OfficeCtx, data: bytes) -> int:
    check = office_letters.verify(o, data, str(args.file))
    return print_check(args, check)
