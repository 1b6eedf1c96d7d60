"""`dws` entry point: argument parsing, dispatch, and the one place errors become messages and exit codes.

Exit status: 0 success, 1 the input or the situation is wrong (nothing changed), 2 usage error,
3 verification found tampering, 141 standard output was closed by its reader (`dws list | head -1`): the
status a shell reports for a tool that SIGPIPE ended, as coreutils' tools are; no message, no crash report.
A message says "nothing was changed" only when that is known (output.py: Changes).

Start-up: building the parser imports only the command modules' argument definitions; each command's function
imports the service modules (and through them sqlcipher3, cryptography, psycopg, reportlab...) it runs, so
`dws --help` or `dws list` does not pay for every other command (tests/test_cli_startup.py, bench/cli_startup.py).
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
from collections.abc import Sequence
from typing import Any

from .. import __version__, compiled
from .. import clock as clocks
from ..errors import Cancelled, DwsError, os_error
from ..fsutil import private_umask
from . import (
    commands_admin,
    commands_backup,
    commands_crypto,
    commands_data,
    commands_decide,
    commands_letters,
    commands_log,
    commands_office,
    commands_review,
    commands_settings,
    office_store,
)
from .output import NOTHING_CHANGED, SAVED, Changes, OutputClosed, OutputFailed, guarded_stdout, silence_stdout

PIPE_CLOSED = 141               # 128 + SIGPIPE
_SURROGATE = re.compile("[\ud800-\udfff]")
MAKES_A_STORE = frozenset({"init", "demo", "recover", "restore"})   # they change a store without open_session


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


class _Version(argparse._VersionAction):
    """`--version`: "dws 0.1.0", or "dws 0.1.0 (compiled with mypyc: 11 modules)". Which modules run compiled is
    looked up when it is asked for, not each time the parser is built."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        build = compiled.describe()
        self.version = f"dws {__version__}" + (f" ({build})" if build else "")
        super().__call__(parser, namespace, values, option_string)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dws", description="Disclosure Workstation command line")
    parser.add_argument("--version", action=_Version)
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
    commands_settings.register(sub, common)
    commands_crypto.register(sub, common)
    commands_office.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    private_umask()
    parser = build_parser()
    words = sys.argv[1:] if argv is None else list(argv)
    bad = next((i for i, word in enumerate(words, 1) if _SURROGATE.search(word)), None)
    if bad is not None:     # an undecodable byte (Python reads it as a lone surrogate): nothing can store or log it
        say(f"dws: argument {bad} is not valid UTF-8 text; retype it (or rename the file it names)")
        return 2
    args = parser.parse_args(words)
    try:
        product_clock = clocks.from_environment()
    except ValueError as exc:
        say(f"dws: {exc}")
        return 2
    changes = args.changes = Changes()
    if args.command in MAKES_A_STORE:
        changes.known = False
    try:
        with clocks.use(product_clock), guarded_stdout():
            profile = office_store.profile_of(args)
            if profile is not None:         # --store names an office profile: an office session instead
                return office_store.run(args, profile)
            return int(args.func(args) or 0)
    except OutputClosed:                # the reader went away (`dws list | head -1`): quietly, as coreutils do
        silence_stdout()
        return PIPE_CLOSED
    except OutputFailed as exc:
        silence_stdout()
        say(f"dws: standard output could not be written ({exc.reason()}){_then(changes)}")
        return 1
    except DwsError as exc:
        say(f"dws: {_with_outcome(str(exc), changes)}")
        return exc.exit_code
    except Cancelled:
        say(f"dws: cancelled{_then(changes)}")
        return 1
    except KeyboardInterrupt:
        say(f"\ndws: interrupted{_then(changes)}")
        return 130
    except OSError as exc:             # the disk: full, read-only, an I/O error
        say(f"dws: {_with_outcome(str(os_error(exc)), changes)}")
        return 1
    except Exception as exc:
        if _is_database_error(exc):     # a read outside a transaction: damage, an I/O error, a busy store
            from ..store.db import store_error

            say(f"dws: {_with_outcome(str(store_error(exc)), changes)}")
            return 1
        # a bug: report where, never what (the message may quote data)
        from ..crashlog import write_crash_report

        path = write_crash_report(exc)
        say(f"dws: internal error ({type(exc).__name__}){_then(changes)}. A report without any taxpayer data was "
            f"written to {path}")
        return 1


def _is_database_error(exc: Exception) -> bool:
    """Whether `exc` is the store's database error (store/db.py: sqlcipher3's). Only a process that loaded
    sqlcipher3 can meet one, so a command that opens no store does not load it to ask."""
    sqlcipher3 = sys.modules.get("sqlcipher3")
    return sqlcipher3 is not None and isinstance(exc, sqlcipher3.DatabaseError)


def say(message: str) -> None:
    """One line on stderr; a closed stderr loses it rather than raising again."""
    with contextlib.suppress(OSError):
        print(message, file=sys.stderr)


def _then(changes: Changes) -> str:
    outcome = changes.outcome()
    return f"; {outcome}" if outcome else ""


def _with_outcome(message: str, changes: Changes) -> str:
    """A message that says "nothing was changed" (true of the step that failed) says instead that the command's
    earlier changes stand when a session of the command had saved some."""
    outcome = changes.outcome()
    return message.replace(NOTHING_CHANGED, outcome) if outcome == SAVED else message


if __name__ == "__main__":
    sys.exit(main())
