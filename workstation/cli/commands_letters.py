"""letter, verify-letter, accounting."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import TamperError, os_error
from ..fsutil import atomic_write
from ..inputfiles import MAX_LETTER_BYTES, read_input_file
from . import common

if TYPE_CHECKING:
    from ..results import AccountingSummary, AgencyTotal, IssuedLetter, LetterCheck


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("letter", parents=[parent], help="write the letter for the signed decision (issued and "
                       "stored the first time; the stored bytes after that)")
    p.add_argument("request_id", metavar="REQUEST_ID")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.pdf")
    p.set_defaults(func=cmd_letter)

    p = sub.add_parser("verify-letter", parents=[parent], help="check a letter file against the store")
    p.add_argument("file", type=Path, metavar="FILE.pdf")
    p.set_defaults(func=cmd_verify_letter)

    p = sub.add_parser("accounting", parents=[parent], help="the accounting of disclosures for a year "
                       "(26 U.S.C. 6103(p)(3)): totals here, the full list (with TINs) only to a file")
    p.add_argument("--year", required=True, type=int, metavar="YYYY")
    p.add_argument("-o", "--output", type=Path, metavar="FILE.csv", help="write every disclosure and the totals "
                   "as CSV (private file, 0600)")
    p.set_defaults(func=cmd_accounting)


def cmd_letter(args: argparse.Namespace) -> int:
    target: Path = args.output
    secret = common.passphrase(args)         # unlocks the store, then signs the letter (PAdES) if it is new
    with common.open_session(args, secret) as s:
        if s.key_on_card() and s.letter_bytes(args.request_id) is None:
            secret = common.pin(args)        # a new letter is signed on the card (its checkpoint too, if there)
        letter = s.letter(args.request_id, secret)
        # Logged before the file is written: a process killed in between leaves an entry for a file that may
        # not exist, never a letter on disk that the log does not show (AU-2: every export is logged).
        s.record_letter_output(args.request_id, "written", str(target.resolve()))
        write_letter(letter, target, args.request_id, "the store")
    return print_letter(args, letter, target)


def write_letter(letter: IssuedLetter, target: Path, request_id: str, kept_in: str) -> None:
    """The letter's file, once its output is logged (`kept_in`: where the issued letter is kept, for the message)."""
    try:
        atomic_write(target, letter.pdf)
    except OSError as exc:
        raise os_error(exc, str(target), f"letter {letter.letter_id} is issued and kept in {kept_in}, but this file "
                       f"was not written (run 'dws letter {request_id} -o FILE' again to write the same letter)") \
            from None


def print_letter(args: argparse.Namespace, letter: IssuedLetter, target: Path) -> int:
    """What `dws letter` prints of the letter written to `target` (--json: a document)."""
    if args.json:
        common.emit_json({"letter_id": letter.letter_id, "decision_id": letter.decision_id, "kind": letter.kind,
                          "pages": letter.pages, "sha256": letter.sha256, "issued_now": letter.new,
                          "file": str(target)})
    else:
        how = "issued now" if letter.new else f"issued {letter.issued_at[:10]} by {letter.issued_by}"
        print(f"Letter {letter.letter_id} ({letter.kind}, {letter.pages} page{'s' * (letter.pages != 1)}) for "
              f"decision {letter.decision_id}, {how}: written to {target}")
        print(f"  SHA-256 {letter.sha256}")
    return 0


def cmd_verify_letter(args: argparse.Namespace) -> int:
    data = read_input_file(args.file, MAX_LETTER_BYTES, what="a letter PDF")
    with common.open_session(args) as s:
        check = s.verify_letter(data, str(args.file))
    return print_check(args, check)


def print_check(args: argparse.Namespace, check: LetterCheck) -> int:
    """`dws verify-letter`'s report (a local store's or an office's); exit 3 when the file is not the letter."""
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


def cmd_accounting(args: argparse.Namespace) -> int:
    with common.open_session(args) as s:
        totals = s.export_accounting(args.year, args.output) if args.output else s.accounting(args.year)
    return print_accounting(args, totals)


def print_accounting(args: argparse.Namespace, totals: AccountingSummary) -> int:
    """The accounting's totals as `dws accounting` prints them (a local store's or an office's)."""
    if args.json:
        common.emit_json({"year": totals.year, "file": str(args.output) if args.output else None,
                          "agencies": [_total(t) for t in totals.agencies],
                          "total": _total(totals.total)})
        return 0
    print(f"Accounting of disclosures, {totals.year} (26 U.S.C. 6103(p)(3))")
    print(f"  {'agency':<20} {'requests':>9} {'disclosures':>12} {'taxpayers':>10}")
    for t in (*totals.agencies, totals.total):
        name = "all agencies" if t.agency_code == "*" else (t.agency_code or "(no agency code)")
        print(f"  {name:<20} {t.requests:>9,} {t.disclosures:>12,} {t.taxpayers:>10,}")
    if args.output:
        print(f"Every disclosure (with TINs) and these totals written to {args.output}")
    return 0


def _total(t: AgencyTotal) -> dict[str, Any]:
    return {"agency_code": t.agency_code, "requests": t.requests, "disclosures": t.disclosures,
            "taxpayers": t.taxpayers}
