"""crypto report: every primitive the workstation uses and the module doing it, for a security review (README,
"Security and compliance"). Needs no passphrase and changes nothing; with a store, lists its keyslots' KDFs."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import TYPE_CHECKING

from . import common
from .table import Column, render

if TYPE_CHECKING:
    from ..crypto.report import CryptoReport


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("crypto", parents=[parent], help="the cryptography in force: primitives, modules, FIPS "
                       "status, self-tests")
    csub = p.add_subparsers(dest="crypto_command", metavar="ACTION", required=True)
    r = csub.add_parser("report", parents=[parent], help="each primitive (purpose, algorithm, standard, module), "
                        "each module's OpenSSL build, providers and FIPS status, the self-tests, and the store's "
                        "keyslots (no passphrase needed)")
    r.set_defaults(func=cmd_report)


def _document(report: CryptoReport) -> dict[str, object]:
    doc = dataclasses.asdict(report)
    doc["all_approved"] = report.all_approved()
    return doc


def cmd_report(args: argparse.Namespace) -> int:
    report = common.workstation(args).crypto_report()
    if args.json:
        common.emit_json(_document(report))
    else:
        print("\n".join(_text(report)))
    if report.selftest.failed is not None:
        print(f"dws: the self-test of {report.selftest.failed} failed: the workstation opens no store on this "
              "installation", file=sys.stderr)
        return 1
    return 0


def _text(report: CryptoReport) -> list[str]:
    policy = f"office policy {report.policy_file}" if report.policy_file else "no office policy file"
    lines = [f"Cryptography mode: {report.mode} ({policy})"]
    tested = report.selftest
    if tested.failed is None:
        lines.append(f"Self-tests: {len(tested.passed)} known-answer tests passed in {tested.ms:.1f} ms "
                     f"({', '.join(tested.passed)})")
    else:
        why = "not available from this OpenSSL" if tested.unavailable else "a wrong answer"
        lines.append(f"Self-tests: FAILED at {tested.failed}: {why} (after {len(tested.passed)} passed)")
    approved = "every primitive approved" if report.all_approved() else "NOT every primitive approved"
    lines += ["", f"Primitives ({approved}):"]
    lines += render((Column("ALGORITHM"), Column("STANDARD"), Column("MODULE"), Column("APPROVED"), Column("PURPOSE")),
                    [(p.algorithm, p.standard, p.module, "yes" if p.approved else "no",
                      p.purpose + (f" ({p.note})" if p.note else "")) for p in report.primitives])
    lines += ["", "Modules:"]
    lines += render((Column("MODULE"), Column("VERSION"), Column("OPENSSL"), Column("PROVIDERS"), Column("FIPS"),
                     Column("NOTE")),
                    [(m.name, m.version, m.openssl or "-", ", ".join(m.providers) or "-", m.fips, m.note)
                     for m in report.modules])
    if report.store is not None:
        count = f"{report.pbkdf2_iterations:,}" if report.pbkdf2_iterations else "not calibrated yet"
        lines += ["", f"Keyslots of the store at {report.store} (PBKDF2 iterations calibrated for it: {count}):"]
        lines += render((Column("SLOT"), Column("KDF"), Column("STATE")),
                        [(s.slot, s.kdf, "current" if s.current else "re-wrapped at its next unlock")
                         for s in report.keyslots])
    return lines
