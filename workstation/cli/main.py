"""`dws` entry point: argument parsing, dispatch, and the one place errors become messages and exit codes.

Exit status: 0 success, 1 the input or the situation is wrong (nothing changed), 2 usage error,
3 verification found tampering.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from .. import clock as clocks
from ..errors import Cancelled, DwsError, os_error
from ..fsutil import private_umask
from ..store import db
from . import (
    commands_admin,
    commands_backup,
    commands_data,
    commands_decide,
    commands_letters,
    commands_log,
    commands_review,
)


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    d = {"default": argparse.SUPPRESS} if suppress else {}
    parser.add_argument("--store", metavar="DIR", help="store folder (default: $DWS_STORE or the user data "
                        "folder)", **({"default": None} if not suppress else d))
    parser.add_argument("--user", metavar="NAME", help="user name (default: $DWS_USER)",
                        **({"default": None} if not suppress else d))
    parser.add_argument("--passphrase-file", metavar="FILE", help="read the passphrase from FILE "
                        "(else $DWS_PASSPHRASE, else a prompt)", **({"default": None} if not suppress else d))
    parser.add_argument("--pin-file", metavar="FILE", help="read the card PIN from FILE, for a user whose key "
                        "is on a PKCS#11 token (else $DWS_PIN, else a prompt)",
                        **({"default": None} if not suppress else d))
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout",
                        **({"default": False} if not suppress else d))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dws", description="Disclosure Workstation command line")
    parser.add_argument("--version", action="version", version=f"dws {__version__}")
    _global_options(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, suppress=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands_admin.register(sub, common)
    commands_data.register(sub, common)
    commands_review.register(sub, common)
    commands_decide.register(sub, common)
    commands_letters.register(sub, common)
    commands_log.register(sub, common)
    commands_backup.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    private_umask()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        product_clock = clocks.from_environment()
    except ValueError as exc:
        print(f"dws: {exc}", file=sys.stderr)
        return 2
    try:
        with clocks.use(product_clock):
            return int(args.func(args) or 0)
    except DwsError as exc:
        print(f"dws: {exc}", file=sys.stderr)
        return exc.exit_code
    except Cancelled:
        print("dws: cancelled; nothing was changed", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ndws: interrupted; nothing was changed", file=sys.stderr)
        return 130
    except db.DatabaseError as exc:     # a read outside a transaction: damage, an I/O error, a busy store
        print(f"dws: {db.store_error(exc)}", file=sys.stderr)
        return 1
    except OSError as exc:             # the disk: full, read-only, an I/O error
        print(f"dws: {os_error(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: report where, never what (the message may quote data)
        from ..crashlog import write_crash_report

        path = write_crash_report(exc)
        print(f"dws: internal error ({type(exc).__name__}); nothing was changed. A report without any "
              f"taxpayer data was written to {path}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
