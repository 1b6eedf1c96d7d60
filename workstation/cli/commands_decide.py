"""decide, approve, export decision, verify."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import TamperError, os_error
from ..fsutil import atomic_write
from ..wording import checkpoints_given, count
from . import common

if TYPE_CHECKING:
    from ..results import DecisionInfo


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("decide", parents=[parent], help="(reviewer) record and sign the preparer's decision")
    p.add_argument("request_id", metavar="REQUEST_ID")
    p.add_argument("--outcome", required=True, choices=["grant", "partial", "deny"])
    p.add_argument("--justification", metavar="TEXT", help="required when deciding against the recommendation")
    p.set_defaults(func=cmd_decide)

    p = sub.add_parser("approve", parents=[parent], help="(approver) second signature, by someone else")
    p.add_argument("request_id", metavar="REQUEST_ID")
    p.set_defaults(func=cmd_approve)

    p = sub.add_parser("export", parents=[parent], help="export a signed decision, or the office CA certificate")
    esub = p.add_subparsers(dest="export_kind", metavar="KIND", required=True)
    e = esub.add_parser("decision", parents=[parent], help="decision JSON, signatures and public keys (PEM)")
    e.add_argument("request_id", metavar="REQUEST_ID")
    e.add_argument("-o", "--output", required=True, type=Path, metavar="DIR")
    e.set_defaults(func=cmd_export_decision)
    e = esub.add_parser("ca", parents=[parent], help="the office CA certificate (PEM), for recipients to trust "
                        "once: PDF readers then show letters as validly signed")
    e.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.pem")
    e.set_defaults(func=cmd_export_ca)

    p = sub.add_parser("verify", parents=[parent], help="check the whole audit chain and every signature")
    p.add_argument("--against", nargs="+", type=Path, default=[], metavar="FILE",
                   help="also prove the log consistent with each checkpoint given: a checkpoint file, a letter "
                   "PDF (its embedded checkpoint) or a witness folder")
    p.set_defaults(func=cmd_verify)


def _print_decision(args: argparse.Namespace, d: DecisionInfo) -> None:
    if args.json:
        common.emit_json(dataclasses.asdict(d) | {"final": d.final})
        return
    print(f"Decision {d.decision_id} on {d.request_id}: {d.outcome.upper()} (recommended {d.recommendation}), "
          f"signed by {d.preparer} [{d.preparer_fingerprint}]")
    if d.approver:
        print(f"  approved by {d.approver} [{d.approver_fingerprint}]")
    elif d.needs_approval:
        print("  awaiting approval by an approver other than the preparer ('dws approve')")


print_decision = _print_decision       # the office store prints its decisions the same way (office_store.py)


def cmd_decide(args: argparse.Namespace) -> int:
    with common.open_session(args) as s:
        # The passphrase (or the card's PIN) is asked again right before signing.
        d = s.decide(args.request_id, args.outcome, args.justification, common.signing_secret(args, s))
    _print_decision(args, d)
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    with common.open_session(args) as s:
        d = s.approve(args.request_id, common.signing_secret(args, s))
    _print_decision(args, d)
    return 0


def verify_readme(files: dict[str, bytes]) -> str:
    """How to check the exported signatures with OpenSSL 3 alone, one command per signer for its key type."""
    from ..keys import primitives as p

    lines = ["Verify this decision with OpenSSL alone (OpenSSL 3):", ""]
    for who in ("preparer", "approver"):
        pem = files.get(f"{who}.pem")
        if pem is None:
            continue
        digest = "" if p.key_algorithm(p.public_from_pem(pem)) == p.ED25519 else " -digest sha256"
        lines.append(f"  openssl pkeyutl -verify -pubin -inkey {who}.pem -rawin{digest} -in decision.json "
                     f"-sigfile {who}.sig")
    lines += ["", 'Each prints "Signature Verified Successfully". decision.json holds the exact signed bytes '
              "(canonical JSON);",
              "a key is ECDSA P-256 with SHA-256 (signatures DER-encoded) or, for keys made before letters were "
              "signed as PDFs, Ed25519.",
              "The fingerprint of a key is the first 16 bytes of SHA-256 over its public key: the raw 32 bytes "
              "of an Ed25519 key,",
              "the DER SubjectPublicKeyInfo of an ECDSA key.", ""]
    return "\n".join(lines)


def cmd_export_decision(args: argparse.Namespace) -> int:
    with common.open_session(args) as s:
        exported = s.export_decision(args.request_id)
    files = exported.files
    out: Path = args.output
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        atomic_write(out / name, data)
    atomic_write(out / "README.txt", verify_readme(files).encode())
    if args.json:
        common.emit_json({"decision_id": exported.decision_id, "directory": str(out), "files": sorted(files)})
    else:
        print(f"Exported decision {exported.decision_id} to {out}: {', '.join(sorted(files))}")
    return 0


def cmd_export_ca(args: argparse.Namespace) -> int:
    target: Path = args.output
    with common.open_session(args) as s:
        made = s.export_ca(str(target.resolve()))
        try:
            atomic_write(target, made.pem)
        except OSError as exc:
            raise os_error(exc, str(target), "the CA certificate was not written") from None
    if args.json:
        common.emit_json({"file": str(target), "serial": made.serial, "sha256": made.sha256})
    else:
        print(f"Office CA certificate (serial {made.serial}) written to {target}: give it to recipients to trust "
              "once (README: 'Checking a letter without the workstation').")
        print(f"  SHA-256 fingerprint {made.sha256}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    with common.open_session(args) as s:
        report = s.verify(args.against)
    if args.json:
        common.emit_json(report.as_dict())
    else:
        print(f"Audit log: {count(report.entries, 'entry', 'entries')}; decisions: {report.decisions:,}; "
              f"signatures checked: {report.signatures:,}; certificates: {report.certificates:,}")
        for w in report.witnesses:
            if w.ok:
                print(f"  witness {w.source}: {count(w.size or 0, 'entry', 'entries')}, signed by {w.signer}: the log "
                      "extends it")
        for problem in report.problems:
            print(f"  TAMPERING: {problem}")
        ok = "OK: the chain is whole and every signature verifies."
        if report.witnesses:
            ok += f" The log extends {checkpoints_given(len(report.witnesses))}."
        print(ok if report.ok else
              f"FAILED: {count(len(report.problems), 'problem')}; first bad log entry: {report.first_bad_entry or '-'}")
    if not report.ok:
        if not args.json:
            raise TamperError("verification found tampering (see above)")
        return TamperError.exit_code
    return 0
