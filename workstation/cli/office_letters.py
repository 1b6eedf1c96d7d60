"""`dws letter` and `dws verify-letter` on an office store (office_store.py dispatches here): what the local
commands print (commands_letters.py), from service/office_letters.py."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import clock as clocks
from ..errors import TamperError, os_error
from ..fsutil import atomic_write
from ..results import LetterCheck
from ..service import office_letters
from ..service.office_records import OfficeCtx
from . import common


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


def print_check(args: argparse.Namespace, check: LetterCheck) -> int:
    if args.json:
        common.emit_json(check.as_dict())
        return 0 if check.ok else TamperError.exit_code
    print(f"Letter {check.letter_id} ({check.kind}) on request {check.request_id}, decision {check.decision_id}, "
          f"issued {check.issued_at[:10]} by {check.issued_by}")
    for sig in check.signatures:
        print(f"  {sig.role}: {sig.name} [{sig.fingerprint}] "
              f"{'signature verifies' if sig.ok else 'SIGNATURE DOES NOT VERIFY'}")
    pdf = check.pdf_signature
    if pdf is not None:
        print(f"  PDF signature: {pdf.signer}, certificate {pdf.certificate_serial}, signed {pdf.signing_time}: "
              + ("valid (intact, whole file, office CA)" if pdf.valid else "NOT VALID"))
    for note in check.notes:
        print(f"  note: {note}")
    for problem in check.problems:
        print(f"  TAMPERING: {problem}")
    if not check.ok:
        raise TamperError(f"{args.file} is not the letter as issued (see above)")
    print("OK: the file is exactly the letter issued, " + ("its PDF signature is valid, " if pdf else "")
          + "and the decision's signatures verify.")
    return 0
